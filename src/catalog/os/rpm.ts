import type { OsInfo, Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";
import { type RpmBlob, readBdbPackages } from "./rpm-bdb.js";
import { parseRpmHeader, type RpmHeader } from "./rpm-header.js";
import { readNdbPackages } from "./rpm-ndb.js";
import { readSqlitePackages } from "./rpm-sqlite.js";

type Format = "sqlite" | "ndb" | "bdb";

/** Where rpm keeps its database (classic, sysimage since Fedora 36 / SUSE, and the rpm-ostree copy). */
const DB_FILES: Record<string, Format> = {
  "var/lib/rpm/Packages": "bdb",
  "var/lib/rpm/Packages.db": "ndb",
  "var/lib/rpm/rpmdb.sqlite": "sqlite",
  "usr/lib/sysimage/rpm/Packages": "bdb",
  "usr/lib/sysimage/rpm/Packages.db": "ndb",
  "usr/lib/sysimage/rpm/rpmdb.sqlite": "sqlite",
  "usr/share/rpm/Packages": "bdb",
  "usr/share/rpm/rpmdb.sqlite": "sqlite",
};

/** When one directory holds several backends (left over from `rpmdb --rebuilddb` conversions), the newest wins. */
const PREFERENCE: Format[] = ["sqlite", "ndb", "bdb"];

const READERS: Record<Format, (buf: Uint8Array, warn: (m: string) => void) => RpmBlob[]> = {
  sqlite: readSqlitePackages,
  ndb: readNdbPackages,
  bdb: readBdbPackages,
};

/** A corrupt database can yield one problem per record; past this many, only a count is reported. */
const MAX_WARNINGS_PER_FILE = 20;

/** purl namespace (the distribution "vendor") for an os-release ID. */
const PURL_NAMESPACE: Record<string, string> = {
  rhel: "redhat",
  centos: "centos",
  fedora: "fedora",
  rocky: "rocky",
  almalinux: "almalinux",
  ol: "oracle",
  amzn: "amazon",
  opensuse: "opensuse",
  "opensuse-leap": "opensuse",
  "opensuse-tumbleweed": "opensuse",
  sles: "suse",
  sled: "suse",
  "sle-micro": "suse",
  suse: "suse",
  mariner: "mariner",
  azurelinux: "azurelinux",
  photon: "photon",
};

/**
 * OSV ecosystem when the OS detector did not supply one. Only families whose OSV name can be derived from
 * os-release alone are versioned; anything unknown gets the generic "rpm".
 */
function fallbackEcosystem(os: OsInfo | undefined): string {
  const major = os?.version?.split(".")[0];
  const withVersion = (base: string, v: string | undefined): string => (v ? `${base}:${v}` : base);
  switch (os?.family) {
    case "rhel":
      return "Red Hat";
    case "almalinux":
      return withVersion("AlmaLinux", major);
    case "rocky":
      return withVersion("Rocky Linux", major);
    case "mariner":
      return withVersion("Mariner", os.version);
    case "azurelinux":
      return withVersion("Azure Linux", major);
    case "opensuse-leap":
      return withVersion("openSUSE", os.version ? `Leap ${os.version}` : undefined);
    case "opensuse":
    case "opensuse-tumbleweed":
      return "openSUSE";
    case "sles":
    case "sled":
    case "sle-micro":
    case "suse":
      return "SUSE";
    default:
      return "rpm";
  }
}

/** `name-version-release.src.rpm` → parts; the name itself may contain dashes, version and release may not. */
export function parseSourceRpm(s: string): { name: string; version: string; release: string } | undefined {
  const base = s.replace(/\.(?:no)?src\.rpm$/, "");
  if (base === s) return undefined;
  const r = base.lastIndexOf("-");
  const v = r > 0 ? base.lastIndexOf("-", r - 1) : -1;
  if (v <= 0) return undefined;
  return { name: base.slice(0, v), version: base.slice(v + 1, r), release: base.slice(r + 1) };
}

/**
 * Version string. The epoch is kept whenever the EPOCH tag exists, including an explicit 0: the header says it
 * was set, rpm's comparison treats a missing epoch as 0 anyway, and dropping it would lose information.
 */
const evr = (epoch: number | undefined, version: string, release: string): string =>
  `${epoch !== undefined ? `${epoch}:` : ""}${version}${release ? `-${release}` : ""}`;

export function rpmPackage(h: RpmHeader, file: CapturedFile, os: OsInfo | undefined): Package {
  const family = os?.family?.toLowerCase();
  const namespace = family ? (PURL_NAMESPACE[family] ?? family) : undefined;
  const distro = family ? (os?.version ? `${family}-${os.version}` : family) : undefined;
  const purl = buildPurl({
    type: "rpm",
    namespace,
    name: h.name,
    version: evr(undefined, h.version, h.release),
    qualifiers: { arch: h.arch, epoch: h.epoch?.toString(), distro },
  });
  const location = file.layer === undefined ? { path: file.path } : { path: file.path, layer: file.layer };
  const pkg: Package = {
    id: packageId(purl, location),
    ecosystem: os?.ecosystem ?? fallbackEcosystem(os),
    name: h.name,
    version: evr(h.epoch, h.version, h.release),
    purl,
    type: "rpm",
    locations: [location],
    licenses: h.license ? [h.license] : [],
  };
  if (h.arch) pkg.arch = h.arch;
  const src = h.sourceRpm ? parseSourceRpm(h.sourceRpm) : undefined;
  // A source rpm file name carries no epoch; Epoch is a spec-file field shared by all subpackages, so the
  // binary's epoch is the source's epoch too.
  if (src) pkg.source = { name: src.name, version: evr(h.epoch, src.version, src.release) };
  const metadata: Record<string, string | number> = { release: h.release };
  if (h.epoch !== undefined) metadata.epoch = h.epoch;
  if (h.vendor) metadata.vendor = h.vendor;
  if (h.modularityLabel) metadata.modularityLabel = h.modularityLabel;
  pkg.metadata = metadata;
  return pkg;
}

function analyzeFile(file: CapturedFile, format: Format, ctx: AnalyzerContext): Package[] {
  let problems = 0;
  const warn = (msg: string): void => {
    problems++;
    if (problems <= MAX_WARNINGS_PER_FILE) ctx.warn(`rpm: ${file.path}: ${msg}`);
  };
  const out: Package[] = [];
  try {
    const ids = new Set<string>();
    for (const { id, blob } of READERS[format](file.content, warn)) {
      let h: RpmHeader;
      try {
        h = parseRpmHeader(blob);
      } catch (err) {
        warn(`header #${id}: ${(err as Error).message}; skipped`);
        continue;
      }
      // Imported signing keys are stored as fake "gpg-pubkey" packages; they are not installed software.
      if (h.name === "gpg-pubkey") continue;
      const pkg = rpmPackage(h, file, ctx.os);
      if (ids.has(pkg.id)) continue;
      ids.add(pkg.id);
      out.push(pkg);
    }
  } catch (err) {
    warn(`unreadable ${format} database: ${(err as Error).message}`);
  }
  if (problems > MAX_WARNINGS_PER_FILE) {
    ctx.warn(`rpm: ${file.path}: ${problems - MAX_WARNINGS_PER_FILE} further problems not shown`);
  }
  return out;
}

export const rpmAnalyzer: Analyzer = {
  name: "rpm",
  version: 1,
  maxFileSize: 512 * 1024 * 1024,
  match: (path) => Object.hasOwn(DB_FILES, path),
  analyze(files, ctx) {
    const byDir = new Map<string, { file: CapturedFile; format: Format }[]>();
    for (const file of files) {
      const format = DB_FILES[file.path];
      if (!format) continue;
      const dir = file.path.slice(0, file.path.lastIndexOf("/"));
      byDir.set(dir, [...(byDir.get(dir) ?? []), { file, format }]);
    }
    const out: Package[] = [];
    for (const dbs of [...byDir.values()]) {
      dbs.sort((a, b) => PREFERENCE.indexOf(a.format) - PREFERENCE.indexOf(b.format));
      const [chosen, ...ignored] = dbs;
      if (!chosen) continue;
      for (const i of ignored)
        ctx.warn(`rpm: ${i.file.path} ignored: ${chosen.file.path} is the newer database`);
      out.push(...analyzeFile(chosen.file, chosen.format, ctx));
    }
    return out;
  },
};
