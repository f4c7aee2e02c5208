import { describe, expect, it } from "vitest";
import { assertNeverThrows, captured, fixture, nv, run } from "./lockfile.testutil.js";
import { pythonRequirementsAnalyzer as A, logicalLines, parseRequirement } from "./python-requirements.js";

const req = (name: string) => captured(`app/${name}`, fixture(`python/requirements/${name}`));

/**
 * Expected pins per trivy fixture, from pip 23.2's own reader (`req_file.preprocess` + `break_args_options`
 * + packaging's `Requirement`, see the report); names PEP 503-normalised. Two lines pip 23's legacy
 * specifiers accept but modern packaging rejects (`Jinja2==3.0.0#comment`, `foo=='invalid-version'`) are
 * treated as unparsable here.
 */
const EXPECTED: Record<string, [string, string][]> = {
  "requirement_exstras.txt": [
    ["celery", "4.4.7"],
    ["pyjwt", "2.1.0"],
  ],
  "requirements_comments.txt": [
    ["click", "8.0.0"],
    ["flask", "2.0.0"],
    ["markupsafe", "2.0.0"],
  ],
  "requirements_compatible.txt": [],
  "requirements_flask.txt": [
    ["click", "8.0.0"],
    ["flask", "2.0.0"],
    ["itsdangerous", "2.0.0"],
    ["jinja2", "3.0.0"],
    ["markupsafe", "2.0.0"],
    ["werkzeug", "2.0.0"],
  ],
  "requirements_hash.txt": [
    ["fooproject", "1.2"],
    ["jinja2", "3.0.0"],
  ],
  "requirements_hyphens.txt": [
    ["oauth2-client", "4.0.0"],
    ["python-gitlab", "2.0.0"],
  ],
  "requirements_no_version.txt": [["flask", "2.0.0"]],
  "requirements_operator.txt": [
    ["django", "2.3.4"],
    ["someproject", "5.4"],
  ],
  "requirements_spaces.txt": [
    ["click", "8.0.0"],
    ["flask", "2.0.0"],
    ["itsdangerous", "2.0.0"],
    ["jinja2", "3.0.0"],
  ],
  "requirements_utf16le.txt": [["attrs", "20.3.0"]],
  "requirements_with_templating_engine.txt": [],
};
const WARNINGS: Record<string, string> = {
  "requirements_comments.txt": "skipped 1 unparsable line(s): 6",
  "requirements_no_version.txt": "skipped 1 unparsable line(s): 3",
  "requirements_with_templating_engine.txt": "skipped 5 unparsable line(s): 1, 2, 3, 4, 5",
};

describe("python-requirements: trivy fixtures", () => {
  for (const [file, want] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const { pkgs, warnings } = await run(A, [req(file)]);
      expect(nv(pkgs)).toEqual(want);
      expect(warnings).toEqual(WARNINGS[file] ? [`python-requirements: app/${file}: ${WARNINGS[file]}`] : []);
    });
  }

  it("package shape; markers kept in metadata", async () => {
    const { pkgs } = await run(A, [req("requirements_operator.txt")]);
    expect(pkgs.find((p) => p.name === "someproject")).toMatchObject({
      ecosystem: "PyPI",
      type: "pypi",
      purl: "pkg:pypi/someproject@5.4",
      metadata: { marker: "python_version < '3.8'" },
      locations: [{ path: "app/requirements_operator.txt", layer: "sha256:aa" }],
    });
  });
});

describe("python-requirements: format details", () => {
  it("matches requirements*.txt outside site-packages", () => {
    for (const p of ["app/requirements.txt", "requirements-dev.txt", "srv/requirements_prod.txt"])
      expect(A.match(p)).toBe(true);
    for (const p of [
      "app/requirements.in",
      "app/dev-requirements.txt",
      "usr/lib/python3/dist-packages/foo/requirements.txt",
      "venv/lib/python3.12/site-packages/bar/requirements.txt",
    ])
      expect(A.match(p)).toBe(false);
  });

  it("continuations, comments after whitespace only, CRLF", () => {
    expect(
      logicalLines("a==1 \\\r\n  --hash=sha256:x \\\r\n  --hash=sha256:y\r\n# c \\\nb==2 # note\nc==3#x\n"),
    ).toEqual([
      [1, "a==1   --hash=sha256:x   --hash=sha256:y"],
      [5, "b==2"],
      [6, "c==3#x"],
    ]);
  });

  it("requirement forms", () => {
    expect(parseRequirement('Pkg[a, b] == 1.0 ; python_version<"3"')).toEqual({
      kind: "pinned",
      name: "Pkg",
      version: "1.0",
      marker: 'python_version<"3"',
    });
    expect(parseRequirement("pkg===1.0-custom")).toMatchObject({ kind: "pinned", version: "1.0-custom" });
    expect(parseRequirement("pkg (==2.0)")).toMatchObject({ kind: "pinned", version: "2.0" });
    expect(parseRequirement("torch==2.1.0+cpu")).toMatchObject({ kind: "pinned", version: "2.1.0+cpu" });
    expect(parseRequirement("pkg==1.*").kind).toBe("unpinned");
    expect(parseRequirement("pkg>=1,==1.5").kind).toBe("unpinned");
    expect(parseRequirement("pkg @ https://example.com/pkg-1.0.whl").kind).toBe("unpinned");
    expect(parseRequirement("git+https://github.com/x/y.git#egg=y").kind).toBe("unpinned");
    expect(parseRequirement("./local/pkg").kind).toBe("unpinned");
    expect(parseRequirement("-e .").kind).toBe("option");
    expect(parseRequirement("--index-url https://example.com/simple").kind).toBe("option");
    expect(parseRequirement("-r base.txt").kind).toBe("include");
    expect(parseRequirement("-rbase.txt").kind).toBe("include");
    expect(parseRequirement("--constraint=c.txt").kind).toBe("include");
    expect(parseRequirement(["pkg==$", "{VERSION}"].join("")).kind).toBe("invalid"); // an unexpanded env var
    expect(parseRequirement("pkg==").kind).toBe("invalid");
  });

  it("includes warn with their line; duplicates collapse; UTF-16BE and UTF-8 BOM decode", async () => {
    const text = "-r base.txt\n--requirement dev.txt\nrequests==2.31.0\nRequests==2.31.0\n";
    const { pkgs, warnings } = await run(A, [captured("requirements.txt", text)]);
    expect(nv(pkgs)).toEqual([["requests", "2.31.0"]]);
    expect(warnings).toEqual([
      "python-requirements: requirements.txt:1: include not followed: -r base.txt",
      "python-requirements: requirements.txt:2: include not followed: --requirement dev.txt",
    ]);
    const be = Buffer.from("\ufeffsix==1.16.0\n", "utf16le").swap16();
    expect(nv((await run(A, [captured("requirements.txt", be)])).pkgs)).toEqual([["six", "1.16.0"]]);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("six==1.15.0\n")]);
    expect(nv((await run(A, [captured("requirements.txt", bom)])).pkgs)).toEqual([["six", "1.15.0"]]);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(A, "requirements.txt", [
      fixture("python/requirements/requirements_hash.txt").toString("latin1"),
      fixture("python/requirements/requirements_operator.txt").toString("latin1"),
    ]);
  });
});
