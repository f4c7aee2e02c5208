import { cleanAirbagError, load, neverThrows } from "./common.mjs";

const { lintDockerfile } = await load("detect/dockerfile/lint.js");
const { parsePolicy } = await load("policy/policy-file.js");

/** User-written config: Dockerfiles lint without throwing (parse errors are findings); policies either parse or fail with an AirbagError. */
export const targets = [
  {
    name: "dockerfile",
    corpus: "dockerfile",
    // parse + lint run ~7 µs/byte, linearly (93/186/371 KB → 0.3/0.4/1.6 s parse, measured); chunk
    // repetition makes 370 KB mutants, far beyond any real Dockerfile
    budgetMs: 5000,
    kind: "text",
    clean: neverThrows,
    run: (buf) => lintDockerfile(buf.toString("utf8"), { path: "Dockerfile" }),
  },
  {
    name: "policy",
    corpus: "policy",
    // the yaml library parses ~8 µs/byte (linear: 83/165/330 KB → 0.8/1.4/2.8 s, measured); mutants
    // reach 330 KB by chunk repetition, and a policy is operator-written, so a longer budget
    budgetMs: 5000,
    kind: "text",
    clean: cleanAirbagError,
    run: (buf) => parsePolicy(buf.toString("utf8"), "policy.yaml"),
  },
];
