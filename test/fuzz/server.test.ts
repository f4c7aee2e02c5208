import { fuzzSuite } from "./fuzz-suite.js";

fuzzSuite("server", { count: 150 });
