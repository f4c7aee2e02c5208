import { fuzzSuite } from "./fuzz-suite.js";

fuzzSuite("image", { count: 250 });
