import { describe, expect, it } from "vitest";
import { assertNeverThrows, captured, fixture, run } from "./lockfile.testutil.js";
import { pythonPoetryAnalyzer as A } from "./python-poetry.js";

const lock = (name: string) => captured("srv/poetry.lock", fixture(`python/poetry/${name}`));
// dev-only per file (python tomllib): category == "dev" (lock 1.x) / "main" not in groups (Poetry 2)
const DEV = ["atomicwrites", "attrs", "more-itertools", "packaging", "py", "pytest", "wcwidth"];

describe("python-poetry: poetry.lock", () => {
  it("matches poetry.lock only", () => {
    expect(A.match("srv/poetry.lock")).toBe(true);
    expect(A.match("srv/pyproject.toml")).toBe(false);
    expect(A.match("srv/poetry.lock.bak")).toBe(false);
  });

  it("trivy poetry_normal: one package", async () => {
    const { pkgs, warnings } = await run(A, [lock("poetry_normal.lock")]);
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => [p.purl, p.metadata])).toEqual([["pkg:pypi/pypi@2.1", undefined]]);
  });

  for (const f of ["poetry_flask.lock", "poetry_v2_flask.lock"]) {
    it(`trivy ${f}: 15 packages, dev ones marked`, async () => {
      const { pkgs, warnings } = await run(A, [lock(f)]);
      expect(warnings).toEqual([]);
      expect(pkgs).toHaveLength(15);
      expect(pkgs.filter((p) => p.metadata?.dev).map((p) => p.name)).toEqual(DEV);
      expect(pkgs.find((p) => p.name === "werkzeug")).toMatchObject({
        version: "3.1.3",
        purl: "pkg:pypi/werkzeug@3.1.3",
      });
      // Poetry 2: in both "main" and "dev" → not dev
      expect(pkgs.find((p) => p.name === "colorama")?.metadata).toBeUndefined();
    });
  }

  it("non-registry sources are recorded; broken entries warn", async () => {
    const text = `
[[package]]
name = "My_Lib"
version = "0.1.0"
groups = ["main"]
[package.source]
type = "git"
url = "https://example.com/my-lib.git"

[[package]]
name = "private"
version = "2.0"
[package.source]
type = "legacy"
url = "https://pypi.example.com/simple"

[[package]]
name = "noversion"
`;
    const { pkgs, warnings } = await run(A, [captured("poetry.lock", text)]);
    expect(pkgs.map((p) => [p.name, p.metadata])).toEqual([
      ["my-lib", { source: "git" }],
      ["private", undefined],
    ]);
    expect(warnings).toEqual(["python-poetry: poetry.lock: skipped 1 [[package]] without name/version"]);
    const bad = await run(A, [captured("x/poetry.lock", "[[package]\nname=")]);
    expect(bad.pkgs).toEqual([]);
    expect(bad.warnings[0]).toMatch(/^python-poetry: x\/poetry.lock: not TOML/);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(A, "poetry.lock", [
      fixture("python/poetry/poetry_v2_flask.lock").toString("latin1").slice(0, 3000),
    ]);
  });
});
