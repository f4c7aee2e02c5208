import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertNeverThrows, captured, fixture, nv, run } from "./lockfile.testutil.js";
import { normalizePypiName } from "./python-common.js";
import { pythonInstalledAnalyzer as A, parseCoreMetadata } from "./python-installed.js";

const SP = "usr/local/lib/python3.11/site-packages";
const inst = (name: string) => fixture(`python/installed/${name}`);

/** the trivy fixtures laid out as a real site-packages directory */
const realFiles = () => [
  captured(`${SP}/asyncssh-2.14.2.dist-info/METADATA`, inst("asyncssh-2.14.2.METADATA")),
  captured(`${SP}/distlib-0.3.1-py3.9.egg-info`, inst("distlib-0.3.1-py3.9.egg-info")),
  captured(`${SP}/iniconfig-2.0.0.dist-info/METADATA`, inst("iniconfig-2.0.0.METADATA")),
  captured(`${SP}/networkx-3.0.dist-info/METADATA`, inst("networkx-3.0.METADATA")),
  captured(`${SP}/pyphen-0.14.0.dist-info/METADATA`, inst("pyphen-0.14.0.METADATA")),
  captured(
    `${SP}/setuptools-51.3.3-py3.8.egg-info/PKG-INFO`,
    inst("setuptools-51.3.3-py3.8.egg-info.PKG-INFO"),
  ),
  captured(`${SP}/simple-0.1.0.dist-info/METADATA`, inst("simple-0.1.0.METADATA")),
  captured(`${SP}/Unidecode-0.4.1.egg-info/PKG-INFO`, inst("unidecode-egg-info.PKG-INFO")),
  captured(`${SP}/zipp-3.12.1.dist-info/METADATA`, inst("zipp-3.12.1.METADATA")),
];

describe("python-installed: real metadata files (trivy fixtures)", () => {
  it("names and versions match importlib.metadata; licences from expression, field and classifiers", async () => {
    const { pkgs, warnings } = await run(A, realFiles());
    expect(warnings).toEqual([]);
    // importlib.metadata over the same layout gave: Unidecode 0.4.1, asyncssh 2.14.2, distlib 0.3.1,
    // iniconfig 2.0.0, networkx 3.0, pyphen 0.14.0, setuptools 51.3.3, "simple " 0.1.0, zipp 3.12.1
    // sorted by path: "Unidecode-…" sorts before the lower-case directories
    expect(pkgs.map((p) => [p.name, p.version, p.licenses])).toEqual([
      ["unidecode", "0.4.1", []],
      ["asyncssh", "2.14.2", ["Eclipse Public License v2.0"]],
      // the classifiers sit after an empty line, i.e. in the body, as email.parser reads it
      ["distlib", "0.3.1", ["Python license"]],
      ["iniconfig", "2.0.0", ["MIT"]],
      ["networkx", "3.0", []],
      ["pyphen", "0.14.0", ["GPL-2.0-or-later", "LGPL-2.0-or-later", "MPL-1.1"]],
      // here too the classifiers follow an empty line inside Description (importlib sees none)
      ["setuptools", "51.3.3", []],
      ["simple", "0.1.0", []],
      ["zipp", "3.12.1", ["MIT"]],
    ]);
    const u = pkgs.find((p) => p.name === "unidecode")!;
    expect(u).toMatchObject({
      ecosystem: "PyPI",
      type: "pypi",
      purl: "pkg:pypi/unidecode@0.4.1",
      locations: [{ path: `${SP}/Unidecode-0.4.1.egg-info/PKG-INFO`, layer: "sha256:aa" }],
    });
    expect(u.id).toMatch(/^[0-9a-f]{16}$/);
  });
});

/** Oracle: importlib.metadata over the site-packages directories of this machine. */
const SITE_DIRS = (() => {
  try {
    const out = execFileSync(
      "python3",
      ["-c", "import site,json;print(json.dumps(site.getsitepackages()))"],
      {
        encoding: "utf8",
      },
    );
    return [...(JSON.parse(out) as string[]), "/usr/lib/python3/dist-packages"].filter((d) => existsSync(d));
  } catch {
    return [];
  }
})();

const ORACLE = `
import importlib.metadata as m, json, os, sys
out = []
for dist in m.distributions(path=[sys.argv[1]]):
    n, v = dist.metadata["Name"], dist.metadata["Version"]
    if n and v: out.append([n.strip(), v.strip()])
print(json.dumps(out))
`;

describe.skipIf(SITE_DIRS.length === 0)("python-installed vs importlib.metadata on this machine", () => {
  for (const dir of SITE_DIRS) {
    it(`${dir}: same distributions`, async () => {
      const files = [];
      for (const entry of readdirSync(dir)) {
        const full = join(dir, entry);
        const rel = full.slice(1);
        if (entry.endsWith(".dist-info")) {
          if (existsSync(join(full, "METADATA")))
            files.push(captured(`${rel}/METADATA`, readFileSync(join(full, "METADATA"))));
        } else if (entry.endsWith(".egg-info")) {
          if (statSync(full).isFile()) files.push(captured(rel, readFileSync(full)));
          else if (existsSync(join(full, "PKG-INFO")))
            files.push(captured(`${rel}/PKG-INFO`, readFileSync(join(full, "PKG-INFO"))));
        }
      }
      for (const f of files) expect(A.match(f.path)).toBe(true);
      const { pkgs, warnings } = await run(A, files);
      expect(warnings).toEqual([]);
      const oracle = JSON.parse(execFileSync("python3", ["-c", ORACLE, dir], { encoding: "utf8" })) as [
        string,
        string,
      ][];
      expect(oracle.length).toBeGreaterThan(0);
      const expected = oracle
        .map(([n, v]): [string, string] => [normalizePypiName(n), v])
        .sort((a, b) => (a.join("@") < b.join("@") ? -1 : 1));
      expect(nv(pkgs)).toEqual(expected);
    });
  }
});

describe("python-installed: format details", () => {
  it("matches the four metadata locations only", () => {
    for (const p of [
      "usr/lib/python3/dist-packages/yaml-6.0.dist-info/METADATA",
      "app/.venv/lib/python3.12/site-packages/Foo-1.egg-info/PKG-INFO",
      "usr/lib/python3/dist-packages/crit-3.17.1-py3.11.egg-info",
      "usr/lib/python3.6/site-packages/foo-1.0-py3.6.egg/EGG-INFO/PKG-INFO",
    ])
      expect(A.match(p)).toBe(true);
    for (const p of [
      "usr/lib/python3/dist-packages/yaml-6.0.dist-info/RECORD",
      "usr/lib/python3/dist-packages/yaml-6.0.dist-info/LICENSE",
      "srv/METADATA",
      "srv/PKG-INFO",
      "usr/lib/python3.6/site-packages/foo-1.0-py3.6.egg",
    ])
      expect(A.match(p)).toBe(false);
  });

  it("normalises names per PEP 503 and keeps versions as written", async () => {
    const { pkgs } = await run(A, [
      captured(
        "x/Zope.Interface__Extra-6.0.dist-info/METADATA",
        "Metadata-Version: 2.1\r\nName: Zope.Interface__Extra\r\nVersion: 6.0.post1+local\r\n",
      ),
    ]);
    expect(pkgs[0]).toMatchObject({ name: "zope-interface-extra", version: "6.0.post1+local" });
    expect(pkgs[0]!.purl).toBe("pkg:pypi/zope-interface-extra@6.0.post1%2Blocal");
  });

  it("header parsing: continuation lines, repeated keys, the body is ignored", () => {
    const h = parseCoreMetadata(
      "Name: a\nLicense: BSD\n  Copyright x\nClassifier: A\nClassifier: B\n\nVersion: 9\nClassifier: C\n",
    );
    expect(h.get("license")).toEqual(["BSD\n  Copyright x"]);
    expect(h.get("classifier")).toEqual(["A", "B"]);
    expect(h.has("version")).toBe(false);
  });

  it("a licence text in the License field is not a licence name; License-Expression wins", async () => {
    const { pkgs } = await run(A, [
      captured(
        "a/x-1.dist-info/METADATA",
        "Name: x\nVersion: 1\nLicense: MIT License\n        \n        Copyright (c) 2020\nClassifier: License :: OSI Approved :: BSD License\n",
      ),
      captured(
        "a/y-1.dist-info/METADATA",
        "Name: y\nVersion: 1\nLicense-Expression: Apache-2.0 OR MIT\nLicense: Apache\nClassifier: License :: OSI Approved :: MIT License\n",
      ),
    ]);
    expect(pkgs.map((p) => p.licenses)).toEqual([["BSD License"], ["Apache-2.0 OR MIT"]]);
  });

  it("warns about files without Name or Version and keeps the rest", async () => {
    const { pkgs, warnings } = await run(A, [
      captured("a/nover-1.dist-info/METADATA", "Metadata-Version: 2.1\nName: nover\n"),
      captured("a/noname.egg-info", "Version: 1.0\n"),
      captured("a/ok-1.dist-info/METADATA", "Name: ok\nVersion: 1\n"),
      captured("a/empty.egg-info", ""),
    ]);
    expect(pkgs.map((p) => p.name)).toEqual(["ok"]);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain("a/nover-1.dist-info/METADATA: skipped, no Version header");
    expect(warnings[1]).toContain("a/noname.egg-info: skipped, no Name header");
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(A, "a/x.dist-info/METADATA", [inst("zipp-3.12.1.METADATA").toString("latin1")]);
  });
});
