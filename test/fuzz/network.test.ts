import { fuzzSuite } from "./fuzz-suite.js";

fuzzSuite("network", { count: 200 });
