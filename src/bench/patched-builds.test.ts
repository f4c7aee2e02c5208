import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AirbagError } from "../model/index.js";
import { commitHash, fixCommitReason, loadFixCommits } from "./patched-builds.js";

describe("fix-commit table", () => {
  const dir = mkdtempSync(join(tmpdir(), "airbag-fix-commits-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, body: string) => {
    writeFileSync(join(dir, name), body);
    return join(dir, name);
  };

  it("refuses malformed tables with an input error naming the file and field", () => {
    const cases: [string, RegExp][] = [
      ["{", /bad\.json: not a readable JSON fix-commit table/],
      ['{"entries": {}}', /"entries" must be an array/],
      [
        '{"entries": [{"id": "CVE-1", "component": "runc", "source": "https://x", "commits": ["abc"]}]}',
        /entries\[0\]\.commits must be a list of 40-hex/,
      ],
      [
        '{"entries": [{"id": "CVE-1", "component": "runc", "commits": []}]}',
        /entries\[0\]\.source must be a non-empty string/,
      ],
    ];
    for (const [body, message] of cases) {
      const f = file("bad.json", body);
      expect(() => loadFixCommits(f)).toThrow(AirbagError);
      expect(() => loadFixCommits(f)).toThrow(message);
    }
  });

  it("matches abbreviated commits and git-describe hashes against the table, per component and id", () => {
    const table = loadFixCommits(
      file(
        "ok.json",
        JSON.stringify({
          entries: [
            {
              id: "CVE-2019-5736",
              component: "runc",
              commits: ["0a8e4117e7f715d5fbeef398405813ce8e88558b"],
              source: "https://example.test/fix",
            },
          ],
        }),
      ),
    );
    const runc = { name: "runc", version: "1.0.0-rc6", source: "x" };
    expect(fixCommitReason({ ...runc, commit: "0a8e411" }, ["CVE-2019-5736"], table)).toMatch(
      /upstream fix for CVE-2019-5736/,
    );
    expect(
      fixCommitReason({ ...runc, commit: "v1.0.0-rc6-12-g0a8e4117e" }, ["CVE-2019-5736"], table),
    ).toBeDefined();
    expect(fixCommitReason({ ...runc, commit: "0a8e411" }, ["CVE-2024-21626"], table)).toBeUndefined();
    expect(
      fixCommitReason({ ...runc, name: "containerd", commit: "0a8e411" }, ["CVE-2019-5736"], table),
    ).toBeUndefined();
    expect(fixCommitReason({ ...runc, commit: "0a8e4" }, ["CVE-2019-5736"], table)).toBeUndefined(); // too short to trust
    expect(commitHash("unknown")).toBeUndefined();
  });
});
