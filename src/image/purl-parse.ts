/**
 * Package URL parsing (package-url spec, "How to parse a purl string in its components") and the mapping
 * from a purl to what Airbag's matcher needs: the OSV ecosystem, the advisory name, the source package.
 */
import { detectOs } from "../catalog/os-release.js";
import { inputError, type OsInfo, type PackageSource } from "../model/index.js";

export interface ParsedPurl {
  /** lower-case purl type: deb, apk, rpm, npm, pypi, golang, maven, … */
  type: string;
  /** segments percent-decoded and joined with "/" */
  namespace?: string;
  name: string;
  version?: string;
  /** keys lower-cased; values percent-decoded; empty values dropped */
  qualifiers: Record<string, string>;
  subpath?: string;
}

const decode = (s: string, what: string, purl: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    throw inputError(`purl "${clip(purl)}": ${what} "${clip(s)}" has a malformed percent-encoding`);
  }
};

/** Keep untrusted text short and on one line inside messages. */
export const clip = (s: string, max = 120): string => {
  const one = s.replace(/[\u0000-\u001f\u007f]+/g, " ");
  return one.length > max ? `${one.slice(0, max)}…` : one;
};

// Types whose namespace (and for some, name) the spec declares case-insensitive.
const LOWER_NAMESPACE = new Set(["deb", "apk", "rpm", "alpm", "github", "bitbucket", "huggingface"]);
const LOWER_NAME = new Set(["github", "bitbucket", "pypi"]);

/** Parse a purl string; throws AirbagError (INPUT) naming the purl and what is wrong with it. */
export function parsePurl(purl: string): ParsedPurl {
  if (typeof purl !== "string") throw inputError("purl: expected a string");
  let rest = purl;
  let subpath: string | undefined;
  const hash = rest.lastIndexOf("#");
  if (hash >= 0) {
    const segs = rest
      .slice(hash + 1)
      .split("/")
      .filter((s) => s !== "" && s !== "." && s !== "..")
      .map((s) => decode(s, "subpath", purl));
    if (segs.length) subpath = segs.join("/");
    rest = rest.slice(0, hash);
  }
  const qualifiers: Record<string, string> = {};
  const q = rest.lastIndexOf("?");
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split("&")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      const key = (eq >= 0 ? pair.slice(0, eq) : pair).toLowerCase();
      if (!/^[a-z0-9._-]+$/.test(key))
        throw inputError(`purl "${clip(purl)}": invalid qualifier key "${clip(key)}"`);
      const value = eq >= 0 ? decode(pair.slice(eq + 1), "qualifier value", purl) : "";
      if (value !== "") qualifiers[key] = value;
    }
    rest = rest.slice(0, q);
  }
  const colon = rest.indexOf(":");
  if (colon < 0 || rest.slice(0, colon).toLowerCase() !== "pkg")
    throw inputError(`purl "${clip(purl)}": does not start with "pkg:"`);
  rest = rest.slice(colon + 1).replace(/^\/+|\/+$/g, "");
  const slash = rest.indexOf("/");
  const type = (slash >= 0 ? rest.slice(0, slash) : rest).toLowerCase();
  if (!/^[a-z][a-z0-9.+-]*$/.test(type))
    throw inputError(`purl "${clip(purl)}": invalid type "${clip(type)}"`);
  rest = slash >= 0 ? rest.slice(slash + 1) : "";
  let version: string | undefined;
  // split on the last "@" only when it follows the last "/": "pkg:npm/@scope/name" has no version
  const at = rest.lastIndexOf("@");
  if (at >= 0 && at > rest.lastIndexOf("/")) {
    const v = decode(rest.slice(at + 1), "version", purl);
    if (v !== "") version = v;
    rest = rest.slice(0, at);
  }
  rest = rest.replace(/\/+$/, "");
  const nameAt = rest.lastIndexOf("/");
  let name = decode(rest.slice(nameAt + 1), "name", purl);
  if (name === "") throw inputError(`purl "${clip(purl)}": no package name`);
  const segs = (nameAt >= 0 ? rest.slice(0, nameAt) : "")
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decode(s, "namespace", purl));
  let namespace = segs.length ? segs.join("/") : undefined;
  if (namespace && LOWER_NAMESPACE.has(type)) namespace = namespace.toLowerCase();
  if (LOWER_NAME.has(type)) name = name.toLowerCase();
  if (type === "pypi") name = name.replace(/_/g, "-");
  return {
    type,
    ...(namespace ? { namespace } : {}),
    name,
    ...(version !== undefined ? { version } : {}),
    qualifiers,
    ...(subpath ? { subpath } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------------------------

// purl namespaces and distro ids (Syft, Trivy, Airbag) → os-release ID
const FAMILY: Record<string, string> = {
  redhat: "rhel",
  alma: "almalinux",
  "rocky-linux": "rocky",
  oracle: "ol",
  oraclelinux: "ol",
  amazon: "amzn",
  suse: "sles",
  "suse linux enterprise server": "sles",
  opensuse: "opensuse-leap",
  "opensuse.leap": "opensuse-leap",
  "opensuse.tumbleweed": "opensuse-tumbleweed",
  "cbl-mariner": "mariner",
  "centos-stream": "centos",
};

export const normaliseFamily = (id: string): string => {
  const f = id.trim().toLowerCase();
  return FAMILY[f] ?? f;
};

const oneLine = (v: string): string => `'${v.replace(/[\r\n]+/g, " ").replace(/'/g, `'\\''`)}'`;

const osCache = new Map<string, OsInfo | undefined>();

/**
 * OsInfo with the OSV ecosystem for a distribution id and release, computed by the same code that reads
 * an image's os-release (so `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19` come out identically).
 */
export function osInfoFor(
  family: string,
  version?: string,
  extra: { codename?: string; prettyName?: string } = {},
): OsInfo | undefined {
  const key = JSON.stringify([family, version, extra.codename, extra.prettyName]);
  if (!osCache.has(key)) {
    if (osCache.size > 1000) osCache.clear();
    osCache.set(key, computeOsInfo(family, version, extra));
  }
  const os = osCache.get(key);
  return os ? { ...os } : undefined;
}

function computeOsInfo(
  family: string,
  version: string | undefined,
  extra: { codename?: string; prettyName?: string },
): OsInfo | undefined {
  const id = normaliseFamily(family);
  if (!/^[a-z0-9._-]+$/.test(id)) return undefined;
  let pretty = extra.prettyName;
  // OSV names SUSE releases by their pretty name: synthesise it when only a version is known
  if (!pretty && id === "sles" && version) {
    const [major, sp] = version.split(".");
    pretty = `SUSE Linux Enterprise Server ${major}${sp && sp !== "0" ? ` SP${sp}` : ""}`;
  } else if (!pretty && id === "opensuse-leap" && version) pretty = `openSUSE Leap ${version}`;
  else if (!pretty && id === "opensuse-tumbleweed") pretty = "openSUSE Tumbleweed";
  const lines = [`ID=${oneLine(id)}`];
  if (version) lines.push(`VERSION_ID=${oneLine(version)}`);
  if (extra.codename) lines.push(`VERSION_CODENAME=${oneLine(extra.codename)}`);
  if (pretty) lines.push(`PRETTY_NAME=${oneLine(pretty)}`);
  const text = Buffer.from(lines.join("\n"));
  const os = detectOs((p) => (p === "etc/os-release" ? text : undefined)) ?? { family: id };
  if (extra.prettyName === undefined) delete os.prettyName;
  return os;
}

/**
 * A `distro=` qualifier: `debian-12`, `ubuntu-22.04`, `alpine-3.19.1`, `rhel-9.3`, `opensuse-leap-15.5`
 * (Syft, Airbag), a bare release `3.19.1` (Trivy's apk purls) or `debian-bookworm`.
 */
export function parseDistro(
  distro: string,
  namespace?: string,
): { family: string; version?: string; codename?: string } | undefined {
  const d = distro.trim().toLowerCase();
  const withVersion = /^([a-z][a-z0-9._ -]*?)[-_]v?(\d[a-z0-9._+~-]*)$/.exec(d);
  if (withVersion) return { family: withVersion[1]!, version: withVersion[2]! };
  const bare = /^v?(\d[a-z0-9._+~-]*)$/.exec(d);
  if (bare) return namespace ? { family: namespace, version: bare[1]! } : undefined;
  const named = /^(debian|ubuntu)-([a-z]+)$/.exec(d);
  if (named) return { family: named[1]!, codename: named[2]! };
  // the spec's own example: pkg:deb/debian/curl@7.50.3-1?distro=jessie
  if ((namespace === "debian" || namespace === "ubuntu") && /^[a-z]+$/.test(d) && d !== namespace)
    return { family: namespace, codename: d };
  return /^[a-z][a-z0-9._-]*$/.test(d) ? { family: d } : undefined;
}

// ---------------------------------------------------------------------------------------------
// purl → Airbag package facts
// ---------------------------------------------------------------------------------------------

export interface PurlFacts {
  type: string;
  /** OSV ecosystem (release-qualified for OS packages), or the purl type when OSV has none */
  ecosystem: string;
  /** the name advisories use: `@scope/pkg`, `group:artifact`, `module/path`, PEP 503 form */
  name: string;
  /** version as the ecosystem writes it (rpm: `epoch:version-release`) */
  version?: string;
  arch?: string;
  source?: PackageSource;
  /** the distribution named by `distro=`, for OS package types */
  os?: OsInfo;
  epoch?: number;
}

const LANG_ECOSYSTEMS: Record<string, string> = {
  npm: "npm",
  pypi: "PyPI",
  golang: "Go",
  maven: "Maven",
  gem: "RubyGems",
  cargo: "crates.io",
  composer: "Packagist",
  nuget: "NuGet",
  hex: "Hex",
  pub: "Pub",
  cran: "CRAN",
  hackage: "Hackage",
  swift: "SwiftURL",
  conan: "ConanCenter",
  bitnami: "Bitnami",
  githubactions: "GitHub Actions",
};

/** Namespace-qualified names, the way each ecosystem's advisories spell them. */
function ecosystemName(p: ParsedPurl): string {
  const ns = p.namespace;
  switch (p.type) {
    case "pypi":
      return p.name.toLowerCase().replace(/[-_.]+/g, "-");
    case "maven":
      return ns ? `${ns}:${p.name}` : p.name;
    case "npm":
    case "golang":
    case "composer":
    case "swift":
    case "githubactions":
      return ns ? `${ns}/${p.name}` : p.name;
    default:
      return p.name;
  }
}

export const OS_TYPES = new Set(["deb", "apk", "rpm"]);
const OS_DEFAULT: Record<string, string> = { deb: "Debian", apk: "Alpine", rpm: "rpm" };
const NAMESPACE_DEFAULT: Record<string, string> = {
  ubuntu: "Ubuntu",
  wolfi: "Wolfi",
  chainguard: "Chainguard",
  sles: "SUSE",
  "opensuse-leap": "openSUSE",
  "opensuse-tumbleweed": "openSUSE",
};

/** `openssl`, `openssl@3.0.11-1` (Syft deb), `openssl-3.0.7-27.el9.src.rpm` (Syft rpm). */
function upstreamSource(
  type: string,
  upstream: string,
  epoch: number | undefined,
): PackageSource | undefined {
  if (type === "rpm") {
    const base = upstream.replace(/\.(?:no)?src\.rpm$/, "");
    if (base !== upstream) {
      const r = base.lastIndexOf("-");
      const v = r > 0 ? base.lastIndexOf("-", r - 1) : -1;
      if (v > 0) {
        const evr = `${base.slice(v + 1, r)}-${base.slice(r + 1)}`;
        return { name: base.slice(0, v), version: epoch !== undefined ? `${epoch}:${evr}` : evr };
      }
    }
  }
  const at = upstream.indexOf("@");
  if (at > 0) return { name: upstream.slice(0, at), version: upstream.slice(at + 1) };
  return upstream ? { name: upstream } : undefined;
}

/**
 * What a purl says about a package. OS packages get their release from `distro=`; without one, from
 * `docOs` (the SBOM's operating-system entry) when it is the same distribution as the purl namespace.
 */
export function purlFacts(p: ParsedPurl, docOs?: OsInfo): PurlFacts {
  const q = p.qualifiers;
  const epochText = p.type === "rpm" ? q.epoch : undefined;
  const epoch = epochText !== undefined && /^\d{1,9}$/.test(epochText) ? Number(epochText) : undefined;
  let version = p.version;
  if (version !== undefined && epoch !== undefined && !/^\d+:/.test(version)) version = `${epoch}:${version}`;
  const facts: PurlFacts = {
    type: p.type,
    ecosystem: LANG_ECOSYSTEMS[p.type] ?? p.type,
    name: ecosystemName(p),
    ...(version !== undefined ? { version } : {}),
    ...(q.arch ? { arch: q.arch } : {}),
    ...(epoch !== undefined ? { epoch } : {}),
  };
  if (q.upstream) {
    const src = upstreamSource(p.type, q.upstream, epoch);
    if (src) facts.source = src;
  }
  if (!OS_TYPES.has(p.type)) return facts;
  const nsFamily = p.namespace ? normaliseFamily(p.namespace) : undefined;
  const d = q.distro ? parseDistro(q.distro, nsFamily) : undefined;
  let os = d ? osInfoFor(d.family, d.version, d.codename ? { codename: d.codename } : {}) : undefined;
  if (!os?.ecosystem && docOs && (!nsFamily || normaliseFamily(docOs.family) === nsFamily)) os = docOs;
  if (os) facts.os = os;
  facts.ecosystem =
    os?.ecosystem ??
    (nsFamily ? (osInfoFor(nsFamily)?.ecosystem ?? NAMESPACE_DEFAULT[nsFamily]) : undefined) ??
    OS_DEFAULT[p.type]!;
  return facts;
}
