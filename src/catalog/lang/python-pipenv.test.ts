import { describe, expect, it } from "vitest";
import { assertNeverThrows, captured, fixture, nv, run } from "./lockfile.testutil.js";
import { pythonPipenvAnalyzer as A } from "./python-pipenv.js";

const lock = (name: string) =>
  captured(
    `app/${name === "normal" ? "" : `${name}/`}Pipfile.lock`,
    fixture(`python/pipenv/Pipfile_${name}.lock`),
  );

describe("python-pipenv: Pipfile.lock", () => {
  it("matches Pipfile.lock only", () => {
    expect(A.match("srv/app/Pipfile.lock")).toBe(true);
    expect(A.match("Pipfile.lock")).toBe(true);
    expect(A.match("srv/app/Pipfile")).toBe(false);
    expect(A.match("srv/app/NotPipfile.lock")).toBe(false);
  });

  it("trivy Pipfile_normal: the default section, versions without ==", async () => {
    const { pkgs, warnings } = await run(A, [lock("normal")]);
    expect(warnings).toEqual([]);
    // python: json.load → default: {name: {"version": "==…"}}
    expect(nv(pkgs)).toEqual([
      ["certifi", "2019.3.9"],
      ["chardet", "3.0.4"],
      ["idna", "2.8"],
      ["pyyaml", "5.1"],
      ["requests", "2.21.0"],
      ["urllib3", "1.24.2"],
    ]);
    expect(pkgs.find((p) => p.name === "pyyaml")).toMatchObject({
      ecosystem: "PyPI",
      type: "pypi",
      purl: "pkg:pypi/pyyaml@5.1",
      locations: [{ path: "app/Pipfile.lock", layer: "sha256:aa" }],
      licenses: [],
    });
    expect(pkgs.every((p) => p.metadata === undefined)).toBe(true);
  });

  it("trivy Pipfile_many: 24 packages, names normalised", async () => {
    const { pkgs } = await run(A, [lock("many")]);
    expect(pkgs).toHaveLength(24);
    expect(nv(pkgs)).toContainEqual(["python-dateutil", "2.8.0"]);
    expect(nv(pkgs)).toContainEqual(["djangorestframework", "3.9.3"]);
  });

  it("develop entries are dev unless also in default; git/path/editable entries are skipped", async () => {
    const doc = {
      _meta: {},
      default: {
        Flask_Login: { version: "==0.6.3" },
        shared: { version: "==1.0" },
        mylib: { git: "https://example.com/mylib.git", ref: "abc" },
        local: { path: ".", editable: true },
      },
      develop: {
        pytest: { version: "==8.0.0", markers: "python_version >= '3.8'" },
        shared: { version: "==1.0" },
      },
    };
    const { pkgs, warnings } = await run(A, [captured("Pipfile.lock", JSON.stringify(doc))]);
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => [p.name, p.version, p.metadata])).toEqual([
      ["flask-login", "0.6.3", undefined],
      ["pytest", "8.0.0", { dev: true }],
      ["shared", "1.0", undefined],
    ]);
  });

  it("warns on broken JSON and on unpinned versions", async () => {
    const bad = await run(A, [captured("a/Pipfile.lock", "{ not json")]);
    expect(bad.pkgs).toEqual([]);
    expect(bad.warnings[0]).toMatch(/^python-pipenv: a\/Pipfile.lock: not JSON/);
    const odd = await run(A, [
      captured(
        "b/Pipfile.lock",
        JSON.stringify({ default: { a: { version: ">=1" }, b: { version: 3 }, c: { version: "==2" } } }),
      ),
    ]);
    expect(nv(odd.pkgs)).toEqual([["c", "2"]]);
    expect(odd.warnings).toEqual([
      "python-pipenv: b/Pipfile.lock: skipped 2 entries without a pinned version",
    ]);
    expect((await run(A, [captured("c/Pipfile.lock", "[]")])).warnings).toHaveLength(1);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(A, "Pipfile.lock", [
      fixture("python/pipenv/Pipfile_normal.lock").toString("latin1"),
    ]);
  });
});
