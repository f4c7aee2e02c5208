import { fuzzSuite } from "./fuzz-suite.js";

fuzzSuite("config", { count: 60 });
