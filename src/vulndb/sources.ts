/**
 * The feeds `airbag db update` downloads, their default URLs and how users point them elsewhere (a mirror,
 * an air-gapped proxy, a test server):
 *
 *  1. defaults below;
 *  2. a sources file — `--sources-file F`, else `$XDG_CONFIG_HOME/airbag/sources.yaml` when present —
 *     mapping a source name to a URL, a list of URLs, or an object (see `SourceEntry`);
 *  3. `$AIRBAG_<SOURCE>_URL` (comma- or space-separated URLs; for nvd the API base URL) wins over both.
 *
 * Default selection: every source but nvd, which joins when `$NVD_API_KEY` is set or it is named with
 * `--source nvd` (without a key NVD allows one request per 6 s: a full download takes hours).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { AirbagError, inputError } from "../model/index.js";
import { configPath } from "./db-path.js";
import { isObject, parseYaml } from "./importers/common.js";

export const SOURCE_NAMES = ["osv", "debian", "alpine", "nvd", "kev", "epss"] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** osv.dev exports one zip per ecosystem; these are the ecosystems airbag can match (compareVersions). */
export const DEFAULT_OSV_ECOSYSTEMS: readonly string[] = [
  "Go",
  "npm",
  "PyPI",
  "Maven",
  "crates.io",
  "RubyGems",
  "Packagist",
  "NuGet",
  "Debian",
  "Ubuntu",
  "Alpine",
  "Wolfi",
  "Red Hat",
  "AlmaLinux",
  "Rocky Linux",
  "SUSE",
  "openSUSE",
];

/** Alpine secdb releases (each has main.json and community.json). */
export const DEFAULT_ALPINE_RELEASES: readonly string[] = Array.from(
  { length: 13 },
  (_, i) => `v3.${10 + i}`,
);

export const DEFAULT_URLS = {
  osv: "https://osv-vulnerabilities.storage.googleapis.com",
  debian: "https://security-tracker.debian.org/tracker/data/json",
  alpine: "https://secdb.alpinelinux.org",
  nvd: "https://services.nvd.nist.gov/rest/json/cves/2.0",
  kev: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
  epss: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
} as const;

/** The advisory sources (database `source` column, or the kev/epss tables) each feed writes. */
const WRITES: Record<SourceName, string[]> = {
  osv: ["osv"],
  debian: ["debian-tracker"],
  alpine: ["alpine-secdb"],
  nvd: ["nvd"],
  kev: ["kev"],
  epss: ["epss"],
};

export interface FeedUrl {
  url: string;
  /**
   * The osv.dev ecosystem exported at this URL (`…/<Ecosystem>/all.zip`): its download replaces only
   * the advisories affecting that ecosystem, so the other ecosystems' zips can answer 304.
   */
  scope?: string;
}

export interface FeedSource {
  name: SourceName;
  urls: FeedUrl[];
  /** where its records go in the database; they are replaced, not accumulated, by each download */
  writes: string[];
  /** nvd only: `apiKey` header value ($NVD_API_KEY) */
  apiKey?: string;
  /** nvd only: page size (NVD's maximum is 2000) */
  resultsPerPage?: number;
  /** nvd only: pause between requests — NVD's rate limit is 5 requests / 30 s, 50 with a key */
  delayMs?: number;
}

/**
 * A sources-file entry: `url: https://…` shorthand (a string or list of URLs), or an object with `url` /
 * `urls`, or for osv `baseUrl` + `ecosystems`, for alpine `baseUrl` + `releases` + `repos`, for nvd
 * `url` (the API base) + `resultsPerPage` + `delayMs`.
 */
export interface SourceEntry {
  url?: string;
  urls?: string[];
  baseUrl?: string;
  ecosystems?: string[];
  releases?: string[];
  repos?: string[];
  resultsPerPage?: number;
  delayMs?: number;
}

/** `https://host/prefix/Red%20Hat/all.zip` → `Red Hat`; a root `all.zip` has no scope. */
export function osvScope(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const parts = path.split("/").filter(Boolean);
  if (parts.length < 2 || parts.at(-1)?.toLowerCase() !== "all.zip") return undefined;
  return decodeURIComponent(parts.at(-2)!);
}

const trim = (u: string) => u.replace(/\/+$/, "");

function defaultSource(name: SourceName, entry: SourceEntry, env: NodeJS.ProcessEnv): FeedSource {
  const base = trim(entry.baseUrl ?? DEFAULT_URLS[name]);
  const explicit = entry.urls ?? (entry.url !== undefined ? [entry.url] : undefined);
  let urls: string[];
  if (explicit) urls = explicit;
  else if (name === "osv")
    urls = (entry.ecosystems ?? DEFAULT_OSV_ECOSYSTEMS).map(
      (e) => `${base}/${encodeURIComponent(e)}/all.zip`,
    );
  else if (name === "alpine")
    urls = (entry.releases ?? DEFAULT_ALPINE_RELEASES).flatMap((r) =>
      (entry.repos ?? ["main", "community"]).map((repo) => `${base}/${r}/${repo}.json`),
    );
  else urls = [base];
  const override = env[`AIRBAG_${name.toUpperCase()}_URL`]?.split(/[\s,]+/).filter(Boolean);
  if (override?.length) urls = override;
  const source: FeedSource = {
    name,
    urls: urls.map((url) => {
      const scope = name === "osv" ? osvScope(url) : undefined;
      return scope ? { url, scope } : { url };
    }),
    writes: WRITES[name],
  };
  if (name === "nvd") {
    if (source.urls.length !== 1)
      throw new AirbagError("USAGE", `nvd: exactly one API base URL expected, got ${source.urls.length}`);
    if (env.NVD_API_KEY) source.apiKey = env.NVD_API_KEY;
    source.resultsPerPage = entry.resultsPerPage ?? 2000;
    source.delayMs = entry.delayMs ?? (source.apiKey ? 600 : 6000);
  }
  return source;
}

function readEntry(file: string, name: string, raw: unknown): SourceEntry {
  const where = `${file}: ${name}`;
  const strings = (v: unknown, field: string): string[] => {
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list) || list.some((x) => typeof x !== "string" || x === ""))
      throw inputError(`${where}.${field}: expected a string or a list of strings`);
    return list as string[];
  };
  if (typeof raw === "string" || Array.isArray(raw)) return { urls: strings(raw, "url") };
  if (!isObject(raw)) throw inputError(`${where}: expected a URL, a list of URLs or an object`);
  const entry: SourceEntry = {};
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case "url":
      case "urls":
        entry.urls = [...(entry.urls ?? []), ...strings(value, key)];
        break;
      case "baseUrl":
        if (typeof value !== "string" || value === "") throw inputError(`${where}.baseUrl: expected a URL`);
        entry.baseUrl = value;
        break;
      case "ecosystems":
      case "releases":
      case "repos":
        entry[key] = strings(value, key);
        break;
      case "resultsPerPage":
      case "delayMs": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < (key === "delayMs" ? 0 : 1))
          throw inputError(`${where}.${key}: expected a whole number`);
        entry[key] = n;
        break;
      }
      default:
        throw inputError(
          `${where}.${key}: unknown setting (url, urls, baseUrl, ecosystems, releases, repos, resultsPerPage, delayMs)`,
        );
    }
  }
  return entry;
}

/** Parse a sources file (YAML or JSON) into entries by source name. */
export async function readSourcesFile(file: string): Promise<Partial<Record<SourceName, SourceEntry>>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw inputError(`${file}: cannot read the sources file (${(err as NodeJS.ErrnoException).code})`, err);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw inputError(`${file}: not valid YAML or JSON (${(err as Error).message})`, err);
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc)) throw inputError(`${file}: expected a mapping of source name → URL(s)`);
  const out: Partial<Record<SourceName, SourceEntry>> = {};
  for (const [name, raw] of Object.entries(doc)) {
    if (!(SOURCE_NAMES as readonly string[]).includes(name))
      throw inputError(`${file}: unknown source "${name}" (known: ${SOURCE_NAMES.join(", ")})`);
    out[name as SourceName] = readEntry(file, name, raw);
  }
  return out;
}

/** Every source with its URLs, after the sources file and environment overrides. */
export async function loadSources(
  options: { sourcesFile?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<FeedSource[]> {
  const env = options.env ?? process.env;
  let file = options.sourcesFile;
  if (!file) {
    const fallback = configPath("sources.yaml", env);
    if (existsSync(fallback)) file = fallback;
  }
  const entries = file ? await readSourcesFile(file) : {};
  return SOURCE_NAMES.map((name) => defaultSource(name, entries[name] ?? {}, env));
}

/**
 * The sources one update runs: `names` (each may be comma-separated), else the default set — all but
 * nvd, unless an NVD API key is configured.
 */
export function selectSources(all: FeedSource[], names?: string[]): FeedSource[] {
  const wanted = names
    ?.flatMap((n) => n.split(","))
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  if (!wanted?.length) return all.filter((s) => s.name !== "nvd" || s.apiKey !== undefined);
  for (const n of wanted)
    if (!(SOURCE_NAMES as readonly string[]).includes(n))
      throw new AirbagError("USAGE", `--source ${n}: unknown source (known: ${SOURCE_NAMES.join(", ")})`);
  return all.filter((s) => wanted.includes(s.name));
}
