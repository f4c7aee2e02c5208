import { fuzzSuite } from "./fuzz-suite.js";

fuzzSuite("catalog", { count: 80 });
