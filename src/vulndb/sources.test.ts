import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AirbagError } from "../model/index.js";
import { DEFAULT_OSV_ECOSYSTEMS, loadSources, osvScope, selectSources } from "./sources.js";

const work = mkdtempSync(join(tmpdir(), "airbag-sources-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { HOME: work }; // never the user's real ~/.config

const urls = async (name: string, options: Parameters<typeof loadSources>[0]) =>
  (await loadSources(options)).find((s) => s.name === name)!.urls.map((u) => u.url);

describe("feed sources", () => {
  it("defaults to the public feeds; nvd only with an API key", async () => {
    const all = await loadSources({ env });
    const osv = all.find((s) => s.name === "osv")!;
    expect(osv.urls).toHaveLength(DEFAULT_OSV_ECOSYSTEMS.length);
    expect(osv.urls[0]).toEqual({
      url: "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip",
      scope: "Go",
    });
    expect(osv.urls.find((u) => u.scope === "Red Hat")?.url).toBe(
      "https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip",
    );
    expect(await urls("alpine", { env })).toContain("https://secdb.alpinelinux.org/v3.19/community.json");
    expect(await urls("debian", { env })).toEqual(["https://security-tracker.debian.org/tracker/data/json"]);
    expect(selectSources(all).map((s) => s.name)).toEqual(["osv", "debian", "alpine", "kev", "epss"]);
    expect(all.find((s) => s.name === "nvd")).toMatchObject({ delayMs: 6000, resultsPerPage: 2000 });

    const keyed = await loadSources({ env: { ...env, NVD_API_KEY: "k" } });
    expect(selectSources(keyed).map((s) => s.name)).toContain("nvd");
    expect(keyed.find((s) => s.name === "nvd")).toMatchObject({ apiKey: "k", delayMs: 600 });
    expect(selectSources(all, ["nvd,kev"]).map((s) => s.name)).toEqual(["nvd", "kev"]);
  });

  it("reads a sources file (explicit, else $XDG_CONFIG_HOME/airbag/sources.yaml); env overrides win", async () => {
    const cfg = join(work, "cfg");
    mkdirSync(join(cfg, "airbag"), { recursive: true });
    writeFileSync(
      join(cfg, "airbag", "sources.yaml"),
      [
        "osv: { baseUrl: 'http://mirror/osv/', ecosystems: [npm, crates.io] }",
        "alpine: { releases: ['3.20'], repos: [main] }",
        "kev: http://mirror/kev.json",
        "nvd: { url: http://mirror/nvd, resultsPerPage: 500, delayMs: 0 }",
      ].join("\n"),
    );
    const xdg = { ...env, XDG_CONFIG_HOME: cfg };
    expect(await urls("osv", { env: xdg })).toEqual([
      "http://mirror/osv/npm/all.zip",
      "http://mirror/osv/crates.io/all.zip",
    ]);
    expect(await urls("alpine", { env: xdg })).toEqual(["https://secdb.alpinelinux.org/3.20/main.json"]);
    expect(await urls("kev", { env: xdg })).toEqual(["http://mirror/kev.json"]);
    expect((await loadSources({ env: xdg })).find((s) => s.name === "nvd")).toMatchObject({
      urls: [{ url: "http://mirror/nvd" }],
      resultsPerPage: 500,
      delayMs: 0,
    });
    expect(await urls("kev", { env: { ...xdg, AIRBAG_KEV_URL: "http://env/kev.json" } })).toEqual([
      "http://env/kev.json",
    ]);
    expect(
      await urls("epss", { env: { ...xdg, AIRBAG_EPSS_URL: "http://a/1.csv, http://a/2.csv" } }),
    ).toEqual(["http://a/1.csv", "http://a/2.csv"]);
    // an explicit file replaces the default one
    const other = join(work, "other.json");
    writeFileSync(other, JSON.stringify({ osv: ["http://x/all.zip", "http://x/PyPI/all.zip"] }));
    const osv = (await loadSources({ sourcesFile: other, env: xdg })).find((s) => s.name === "osv")!;
    expect(osv.urls).toEqual([{ url: "http://x/all.zip" }, { url: "http://x/PyPI/all.zip", scope: "PyPI" }]);
  });

  it("names the file and field of a bad sources file, and an unknown --source", async () => {
    const bad = async (text: string) => {
      const f = join(work, `bad-${Math.random()}.yaml`);
      writeFileSync(f, text);
      return (await loadSources({ sourcesFile: f, env }).catch((e: unknown) => e)) as AirbagError;
    };
    expect((await bad("redhat: http://x")).message).toMatch(/bad-.*\.yaml: unknown source "redhat"/);
    expect((await bad("osv: { ecosystems: { Go: yes } }")).message).toMatch(
      /: osv\.ecosystems: expected a string or a list/,
    );
    expect((await bad("nvd: { delayMs: soon }")).message).toMatch(/: nvd\.delayMs: expected a whole number/);
    expect((await bad("kev: { mirror: x }")).message).toMatch(/: kev\.mirror: unknown setting/);
    expect((await bad("[1, 2]")).message).toMatch(/expected a mapping/);
    expect((await bad("kev: [")).message).toMatch(/not valid YAML or JSON/);
    const missing = await loadSources({ sourcesFile: join(work, "nope.yaml"), env }).catch((e: unknown) => e);
    expect((missing as AirbagError).code).toBe("INPUT");
    expect(() => selectSources([], ["osv", "ghsa"])).toThrow(/--source ghsa: unknown source/);
  });

  it("derives an OSV URL's ecosystem from its path", () => {
    expect(osvScope("https://h/Rocky%20Linux/all.zip")).toBe("Rocky Linux");
    expect(osvScope("https://h/all.zip")).toBeUndefined();
    expect(osvScope("https://h/Go/index.json")).toBeUndefined();
    expect(osvScope("not a url")).toBeUndefined();
  });
});
