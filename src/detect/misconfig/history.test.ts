import { describe, expect, it } from "vitest";
import { parseCreatedBy } from "./history.js";

describe("history created_by", () => {
  it.each([
    ["/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/usr/bin", "ENV", "PATH=/usr/local/bin:/usr/bin", undefined],
    ["/bin/sh -c #(nop) ADD file:8b1e79 in / ", "ADD", "file:8b1e79 in /", undefined],
    [
      "/bin/sh -c apt-get update && apt-get install -y curl",
      "RUN",
      undefined,
      "apt-get update && apt-get install -y curl",
    ],
    ["RUN /bin/sh -c npm ci # buildkit", "RUN", undefined, "npm ci"],
    ["ADD https://example.com/x.tgz /opt/ # buildkit", "ADD", "https://example.com/x.tgz /opt/", undefined],
    ["COPY . /app # buildkit", "COPY", ". /app", undefined],
    ["/bin/bash -o pipefail -c curl -s x | tar -x", "RUN", undefined, "curl -s x | tar -x"],
    ["RUN apt-get update", "RUN", undefined, "apt-get update"],
    ['RUN ["sudo", "make", "install all"] # buildkit', "RUN", undefined, "sudo make 'install all'"],
    ["bazel build //:image", "", "bazel build //:image", undefined],
    ["", "", "", undefined],
  ])("%s", (createdBy, instruction, args, script) => {
    const step = parseCreatedBy(createdBy);
    expect(step.instruction).toBe(instruction);
    if (args !== undefined) expect(step.args).toBe(args);
    expect(step.script).toBe(script);
  });

  it("reads build args recorded on RUN steps (classic and BuildKit)", () => {
    for (const text of [
      "|2 NPM_TOKEN=abc VERSION=1 /bin/sh -c npm ci",
      "RUN |2 NPM_TOKEN=abc VERSION=1 /bin/sh -c npm ci # buildkit",
    ]) {
      const step = parseCreatedBy(text);
      expect(step.buildArgs).toEqual([
        { name: "NPM_TOKEN", value: "abc" },
        { name: "VERSION", value: "1" },
      ]);
      expect(step.script).toBe("npm ci");
    }
  });
});
