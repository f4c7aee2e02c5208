import { fuzzSuite } from "./fuzz-suite.js";

/**
 * Inputs the fuzzer found (test/fuzz/regressions/<corpus>/), replayed as-is (the first indexes, which
 * must end cleanly) and then mutated. Each failed before its fix: zstd/* overran the 2 s budget
 * (src/image/zstd-frames.ts), npm-lock/* threw URIError (src/catalog/purl.ts), agent-report/*
 * answered HTTP 500 (src/server/routes/agent-event-schema.ts).
 */
fuzzSuite("image", { count: 60, regressionsOnly: true });
fuzzSuite("catalog", { count: 60, regressionsOnly: true });
fuzzSuite("server", { count: 40, regressionsOnly: true });
