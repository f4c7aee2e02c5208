import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { OsInfo, Package } from "../../model/index.js";
import type { AnalyzerContext, CapturedFile } from "../analyzer.js";
import { packageId } from "../purl.js";
import { parseSourceRpm, rpmAnalyzer } from "./rpm.js";

const FIXTURES = new URL("../../../test/fixtures/rpm/", import.meta.url);
const load = (rel: string): Buffer => {
  const raw = readFileSync(new URL(rel, FIXTURES));
  return rel.endsWith(".gz") ? gunzipSync(raw) : raw;
};

/** fixture dir → (file inside it, the on-disk name rpm expects) */
const DBS: Record<string, [string, string]> = {
  "bdb-libuuid": ["Packages", "Packages"],
  "bdb-syft": ["Packages", "Packages"],
  "bdb-epoch": ["Packages", "Packages"],
  "bdb-mariner-le": ["Packages.gz", "Packages"],
  "bdb-mariner-be": ["Packages.gz", "Packages"],
  "bdb-mariner-inline": ["Packages.gz", "Packages"],
  "ndb-sle15-bci": ["Packages.db.gz", "Packages.db"],
  "sqlite-mariner2": ["rpmdb.sqlite.gz", "rpmdb.sqlite"],
};
const PACKAGE_COUNTS: Record<string, number> = {
  "bdb-libuuid": 1,
  "bdb-syft": 1,
  "bdb-epoch": 1,
  "bdb-mariner-le": 30,
  "bdb-mariner-be": 30,
  "bdb-mariner-inline": 30,
  "ndb-sle15-bci": 35,
  "sqlite-mariner2": 129,
};

function capture(dir: string, at = "var/lib/rpm", layer = "sha256:layer1"): CapturedFile {
  const [file, name] = DBS[dir] as [string, string];
  return { path: `${at}/${name}`, content: load(`${dir}/${file}`), layer, mode: 0o644 };
}

async function analyze(files: CapturedFile[], os?: OsInfo): Promise<{ pkgs: Package[]; warnings: string[] }> {
  const warnings: string[] = [];
  const ctx: AnalyzerContext = { os, file: () => undefined, warn: (m) => warnings.push(m) };
  return { pkgs: await rpmAnalyzer.analyze(files, ctx), warnings };
}

/** The same line `rpm -qa --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n'` prints. */
const qaLine = (p: Package): string => {
  const epoch = p.metadata?.epoch;
  const vr = epoch === undefined ? p.version : p.version.slice(`${epoch}:`.length);
  return `${p.name}\t${epoch ?? 0}:${vr}\t${p.arch ?? "(none)"}`;
};
const sorted = (lines: string[]): string[] => [...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("rpmAnalyzer.match", () => {
  it.each([
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "usr/share/rpm/Packages",
    "usr/share/rpm/rpmdb.sqlite",
  ])("accepts %s", (p) => expect(rpmAnalyzer.match(p)).toBe(true));

  it.each([
    "/var/lib/rpm/Packages",
    "var/lib/rpm/Name",
    "var/lib/rpm/rpmdb.sqlite-wal",
    "var/lib/rpm/Packages.bak",
    "usr/share/rpm/Packages.db",
    "opt/var/lib/rpm/Packages",
    "toString",
  ])("rejects %s", (p) => expect(rpmAnalyzer.match(p)).toBe(false));

  it("declares its identity and size limit", () => {
    expect(rpmAnalyzer).toMatchObject({ name: "rpm", version: 1, maxFileSize: 512 * 1024 * 1024 });
  });
});

describe("rpmAnalyzer on real databases", () => {
  it.each(Object.keys(DBS).filter((d) => d !== "ndb-sle15-bci"))(
    "%s matches the package list Debian's rpm 4.18 printed",
    async (dir) => {
      const { pkgs, warnings } = await analyze([capture(dir)]);
      expect(warnings).toEqual([]);
      expect(pkgs).toHaveLength(PACKAGE_COUNTS[dir] as number);
      const expected = load(`expected/${dir}.tsv`).toString("utf8").trim().split("\n");
      expect(sorted(pkgs.map(qaLine))).toEqual(expected);
    },
  );

  it("ndb-sle15-bci matches rpm -qa from the SLE 15 image field by field", async () => {
    const { packages } = JSON.parse(load("expected/ndb-sle15-bci.json").toString("utf8")) as {
      packages: Record<string, string | number | null>[];
    };
    const { pkgs, warnings } = await analyze([capture("ndb-sle15-bci", "usr/lib/sysimage/rpm")]);
    expect(warnings).toEqual([]);
    const fields = (p: Package) => ({
      name: p.name,
      version: p.version,
      arch: p.arch,
      sourceRpm: p.source ? `${p.source.name}-${p.source.version}.src.rpm` : undefined,
      license: p.licenses[0],
      vendor: p.metadata?.vendor,
      release: p.metadata?.release,
      modularityLabel: p.metadata?.modularityLabel,
    });
    const want = packages.map((e) => ({
      name: e.name,
      version: `${e.epoch === null ? "" : `${e.epoch}:`}${e.version}-${e.release}`,
      arch: e.arch,
      sourceRpm: e.sourceRpm,
      license: e.license,
      vendor: e.vendor,
      release: e.release,
      modularityLabel: e.modularitylabel || undefined,
    }));
    expect(pkgs.map(fields)).toEqual(want);
  });

  const hasRpm = spawnSync("rpm", ["--version"]).status === 0;
  // Live oracle: Debian's rpm reads BDB (bdb_ro) and sqlite but is built without ndb.
  it.skipIf(!hasRpm).each(Object.keys(DBS).filter((d) => !d.startsWith("ndb")))(
    "%s agrees with the installed rpm -qa",
    async (dir) => {
      const [file, name] = DBS[dir] as [string, string];
      const tmp = mkdtempSync(join(tmpdir(), "airbag-rpm-"));
      try {
        writeFileSync(join(tmp, name), load(`${dir}/${file}`));
        const qf = "%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n";
        const r = spawnSync("rpm", ["-qa", "--dbpath", tmp, "--qf", qf], { encoding: "utf8" });
        const oracle = r.stdout.split("\n").filter((l) => l && !l.startsWith("gpg-pubkey\t"));
        expect(oracle.length).toBeGreaterThan(0);
        const { pkgs } = await analyze([capture(dir)]);
        expect(sorted(pkgs.map(qaLine))).toEqual(sorted(oracle));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  );
});

describe("package fields", () => {
  it("builds the full package for a RHEL database", async () => {
    const os = { family: "rhel", version: "8.8", ecosystem: "Red Hat:enterprise_linux:8::baseos" };
    const { pkgs } = await analyze([capture("bdb-libuuid")], os);
    const purl = "pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-8.8";
    expect(pkgs).toEqual([
      {
        id: packageId(purl, { path: "var/lib/rpm/Packages", layer: "sha256:layer1" }),
        ecosystem: "Red Hat:enterprise_linux:8::baseos",
        name: "libuuid",
        version: "2.32.1-42.el8_8",
        purl,
        type: "rpm",
        arch: "x86_64",
        source: { name: "util-linux", version: "2.32.1-42.el8_8" },
        locations: [{ path: "var/lib/rpm/Packages", layer: "sha256:layer1" }],
        licenses: ["BSD"],
        metadata: { release: "42.el8_8", vendor: "Red Hat, Inc." },
      },
    ]);
  });

  it("carries the epoch into version, purl, source and metadata", async () => {
    const { pkgs } = await analyze([capture("bdb-epoch")], { family: "almalinux", version: "9.3" });
    expect(pkgs[0]).toMatchObject({
      ecosystem: "AlmaLinux:9",
      version: "1:0.0.1-rls",
      purl: "pkg:rpm/almalinux/hello@0.0.1-rls?arch=x86_64&distro=almalinux-9.3&epoch=1",
      source: { name: "hello", version: "1:0.0.1-rls" },
      metadata: { epoch: 1, release: "rls" },
    });
  });

  it("falls back to a generic ecosystem and an un-namespaced purl without OS information", async () => {
    const { pkgs } = await analyze([{ ...capture("bdb-syft"), layer: undefined }]);
    expect(pkgs[0]).toMatchObject({ ecosystem: "rpm", purl: "pkg:rpm/dive@0.9.2-1?arch=x86_64" });
    expect(pkgs[0]?.locations).toEqual([{ path: "var/lib/rpm/Packages" }]);
  });

  it.each([
    [{ family: "rocky", version: "9.3" }, "Rocky Linux:9", "pkg:rpm/rocky/"],
    [{ family: "mariner", version: "2.0" }, "Mariner:2.0", "pkg:rpm/mariner/"],
    [{ family: "opensuse-leap", version: "15.5" }, "openSUSE:Leap 15.5", "pkg:rpm/opensuse/"],
    [{ family: "sles", version: "15.3" }, "SUSE", "pkg:rpm/suse/"],
    [{ family: "fedora", version: "39" }, "rpm", "pkg:rpm/fedora/"],
  ])("derives ecosystem and purl namespace for %o", async (os, ecosystem, purlPrefix) => {
    const { pkgs } = await analyze([capture("bdb-syft")], os);
    expect(pkgs[0]?.ecosystem).toBe(ecosystem);
    expect(pkgs[0]?.purl.startsWith(purlPrefix)).toBe(true);
  });

  it("gives stable ids that depend on package and location", async () => {
    const a = (await analyze([capture("sqlite-mariner2")])).pkgs.map((p) => p.id);
    const b = (await analyze([capture("sqlite-mariner2")])).pkgs.map((p) => p.id);
    const c = (await analyze([capture("sqlite-mariner2", "usr/lib/sysimage/rpm")])).pkgs.map((p) => p.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(129);
    expect(c.filter((id) => a.includes(id))).toEqual([]);
  });

  it.each([
    ["util-linux-2.32.1-42.el8_8.src.rpm", { name: "util-linux", version: "2.32.1", release: "42.el8_8" }],
    ["kernel-rt-5.14.0-1.nosrc.rpm", { name: "kernel-rt", version: "5.14.0", release: "1" }],
    ["noversion.src.rpm", undefined],
    ["a-1.src.rpm", undefined],
    ["foo-1-2.x86_64.rpm", undefined],
  ])("parses source rpm name %s", (s, want) => expect(parseSourceRpm(s)).toEqual(want));
});

/** Minimal header blob with string tags only (NAME=1000, VERSION=1001, RELEASE=1002). */
function stringHeader(name: string, version: string, release: string): Buffer {
  const values = [name, version, release].map((v) => Buffer.from(`${v}\0`));
  const head = Buffer.alloc(8 + 16 * values.length);
  head.writeUInt32BE(values.length, 0);
  head.writeUInt32BE(
    values.reduce((n, v) => n + v.length, 0),
    4,
  );
  let offset = 0;
  values.forEach((v, i) => {
    head.writeUInt32BE(1000 + i, 8 + 16 * i);
    head.writeUInt32BE(6, 12 + 16 * i);
    head.writeUInt32BE(offset, 16 + 16 * i);
    head.writeUInt32BE(1, 20 + 16 * i);
    offset += v.length;
  });
  return Buffer.concat([head, ...values]);
}

function sqliteDb(rows: Buffer[]): Buffer {
  const db = new Database(":memory:");
  db.exec("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
  for (const blob of rows) db.prepare("INSERT INTO Packages (blob) VALUES (?)").run(blob);
  const bytes = db.serialize();
  db.close();
  return bytes;
}

describe("robustness", () => {
  it("skips gpg-pubkey entries and reports a malformed header without losing the rest", async () => {
    const content = sqliteDb([
      stringHeader("zlib", "1.3", "1"),
      stringHeader("gpg-pubkey", "fd431d51", "4ae0493b"),
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]),
    ]);
    const { pkgs, warnings } = await analyze([{ path: "var/lib/rpm/rpmdb.sqlite", content, mode: 0o644 }]);
    expect(pkgs.map((p) => `${p.name} ${p.version}`)).toEqual(["zlib 1.3-1"]);
    expect(warnings).toEqual([
      expect.stringMatching(/^rpm: var\/lib\/rpm\/rpmdb\.sqlite: header #3: .*skipped$/),
    ]);
  });

  it.each(["var/lib/rpm/Packages", "var/lib/rpm/Packages.db", "var/lib/rpm/rpmdb.sqlite"])(
    "warns instead of throwing on a garbage %s",
    async (path) => {
      const { pkgs, warnings } = await analyze([{ path, content: Buffer.alloc(8192, 0x5a), mode: 0o644 }]);
      expect(pkgs).toEqual([]);
      expect(warnings).toEqual([expect.stringMatching(/unreadable (bdb|ndb|sqlite) database/)]);
    },
  );

  it("caps per-file warnings on a badly damaged database", async () => {
    const content = Buffer.from(load("ndb-sle15-bci/Packages.db.gz"));
    for (let slot = 32; slot < 4096; slot += 16) {
      if (content.readUInt32LE(slot + 4) !== 0)
        content.write("XXXX", content.readUInt32LE(slot + 8) * 16, "latin1");
    }
    const { pkgs, warnings } = await analyze([{ path: "var/lib/rpm/Packages.db", content, mode: 0o644 }]);
    expect(pkgs).toEqual([]);
    expect(warnings).toHaveLength(21);
    expect(warnings[20]).toMatch(/15 further problems not shown/);
  });

  it("reads only the newest backend of a directory but every directory", async () => {
    const { pkgs, warnings } = await analyze([
      capture("bdb-syft"),
      capture("sqlite-mariner2"),
      capture("ndb-sle15-bci", "usr/lib/sysimage/rpm"),
    ]);
    expect(pkgs).toHaveLength(129 + 35);
    expect(pkgs.some((p) => p.name === "dive")).toBe(false);
    expect(warnings).toEqual([
      "rpm: var/lib/rpm/Packages ignored: var/lib/rpm/rpmdb.sqlite is the newer database",
    ]);
  });
});
