import { describe, expect, it } from "vitest";
import { assertNeverThrows, captured, fixture, nv, run } from "./lockfile.testutil.js";
import { pythonUvAnalyzer as A } from "./python-uv.js";

const lock = (name: string) => captured("app/uv.lock", fixture(`python/uv/${name}`));

describe("python-uv: uv.lock", () => {
  it("matches uv.lock only", () => {
    expect(A.match("app/uv.lock")).toBe(true);
    expect(A.match("app/uv.lockfile")).toBe(false);
    expect(A.match("app/myuv.lock")).toBe(false);
  });

  it("trivy uv_normal: 20 packages, the virtual root skipped, dev-only ones marked", async () => {
    const { pkgs, warnings } = await run(A, [lock("uv_normal.lock")]);
    expect(warnings).toEqual([]);
    expect(pkgs).toHaveLength(20);
    expect(pkgs.find((p) => p.name === "normal")).toBeUndefined();
    // root "normal": deps httpx[socks], requests; optional orjson; dev group: pytest → pytest's own deps
    // that nothing else pulls in (exceptiongroup is also needed by anyio)
    expect(pkgs.filter((p) => p.metadata?.dev).map((p) => p.name)).toEqual([
      "colorama",
      "iniconfig",
      "packaging",
      "pluggy",
      "pytest",
      "tomli",
    ]);
    expect(pkgs.find((p) => p.name === "socksio")?.metadata).toBeUndefined();
    expect(pkgs.find((p) => p.name === "typing-extensions")).toMatchObject({
      version: "4.12.2",
      purl: "pkg:pypi/typing-extensions@4.12.2",
    });
  });

  it("trivy uv_multiple_roots and uv_without_root: only asyncio", async () => {
    for (const f of ["uv_multiple_roots.lock", "uv_without_root.lock"]) {
      const { pkgs, warnings } = await run(A, [lock(f)]);
      expect(warnings).toEqual([]);
      expect(pkgs.map((p) => [p.purl, p.metadata])).toEqual([["pkg:pypi/asyncio@3.4.3", undefined]]);
    }
  });

  it("editable workspace members are skipped, git/path sources recorded, duplicate names by version", async () => {
    const text = `version = 1
[[package]]
name = "app"
version = "1.0"
source = { editable = "." }
dependencies = [{ name = "member" }, { name = "numpy", version = "2.0.0" }]

[[package]]
name = "member"
version = "0.1"
source = { editable = "packages/member" }
dependencies = [{ name = "vcs_dep" }]

[[package]]
name = "vcs_dep"
version = "0.3"
source = { git = "https://example.com/dep?rev=1#abc" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "dynamic"
source = { registry = "https://pypi.org/simple" }
`;
    const { pkgs, warnings } = await run(A, [captured("uv.lock", text)]);
    expect(pkgs.map((p) => [p.name, p.version, p.metadata])).toEqual([
      ["numpy", "1.26.4", undefined],
      ["numpy", "2.0.0", undefined],
      ["vcs-dep", "0.3", { source: "git" }],
    ]);
    expect(warnings).toEqual(["python-uv: uv.lock: skipped 1 [[package]] without name/version"]);
  });

  it("warns on broken TOML", async () => {
    const { pkgs, warnings } = await run(A, [captured("uv.lock", "[[package]]\nname = ")]);
    expect(nv(pkgs)).toEqual([]);
    expect(warnings[0]).toMatch(/^python-uv: uv.lock: not TOML/);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(A, "uv.lock", [fixture("python/uv/uv_multiple_roots.lock").toString("latin1")]);
  });
});
