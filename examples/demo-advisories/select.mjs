#!/usr/bin/env node
// Re-selects the advisory records bundled for `npm run demo` from the shared real-data collection:
// every record of the candidate sources below that matches a package of the demo image, and nothing else.
// Usage (after `npm run build`): node examples/demo-advisories/select.mjs [SHARED_DATA_DIR]
// (default ../shared/data next to the repository). Rewrites the record folders of this directory; the
// LICENSE/NOTICES files and README.md stay as they are. Offline.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { catalog } from "../../dist/index.js";
import { matchInventory } from "../../dist/match/matcher.js";
import { importIntoDatabase } from "../../dist/vulndb/importers/index.js";
import { VulnDb } from "../../dist/vulndb/store.js";
import { buildDemoImage, demoAdvisoriesDir, repoRoot } from "../../scripts/demo-image.js";

const data = resolve(process.argv[2] ?? join(repoRoot, "../shared/data"));

/** candidate sources: where they are in the shared data, and where a selected record goes here */
const SOURCES = [
  { from: "golang-vulndb/data/osv", to: (f) => `golang-vulndb/data/osv/${basename(f)}` },
  {
    from: "pypa-advisory-database/vulns",
    to: (f, root) => `pypa-advisory-database/vulns/${relative(root, f)}`,
  },
  // GitHub Advisory Database records (OSV) that reached the shared data as other projects' test data
  {
    from: "distro-feeds/trivy-db/pkg/vulnsrc/ghsa/testdata/happy/ghsa/advisories/github-reviewed",
    to: (_f, _root, id) => `github-advisory-database/${id}.json`,
  },
  { from: "osv-schema/tools/ghsa/testdata", to: (_f, _root, id) => `github-advisory-database/${id}.json` },
  {
    from: "osv-samples/malicious-packages/osv/malicious",
    to: (f) => `malicious-packages/${basename(f)}`,
  },
];
const RECORD_DIRS = ["golang-vulndb/data/osv", "pypa-advisory-database/vulns", "github-advisory-database"];

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(json|ya?ml)$/.test(e.name)) yield p;
  }
}

const tmp = mkdtempSync(join(tmpdir(), "airbag-demo-select-"));
try {
  mkdirSync(join(tmp, "oci"));
  const { target } = buildDemoImage(join(tmp, "oci"));
  const inventory = await catalog(target);
  const roots = SOURCES.map((s) => join(data, s.from));
  await importIntoDatabase(join(tmp, "db.sqlite"), roots, { warn: () => {} });
  const db = VulnDb.open(join(tmp, "db.sqlite"), { readonly: true });
  const findings = matchInventory(inventory, db);
  db.close();
  const wanted = new Set(findings.flatMap((f) => [f.id, ...f.aliases]));
  // …and only records about a package of the image (an alias can name a record about another package)
  const norm = (eco, name) => (eco === "PyPI" ? name.toLowerCase().replace(/[-_.]+/g, "-") : name);
  const present = new Set(inventory.packages.map((p) => `${p.ecosystem}\0${norm(p.ecosystem, p.name)}`));
  const relevant = (rec) =>
    (rec.affected ?? []).some((a) => {
      const eco = a.package?.ecosystem ?? "";
      return present.has(`${eco}\0${norm(eco.split(":")[0], a.package?.name ?? "")}`);
    });

  for (const d of RECORD_DIRS) rmSync(join(demoAdvisoriesDir, d), { recursive: true, force: true });
  rmSync(join(demoAdvisoriesDir, "malicious-packages"), { recursive: true, force: true });
  let bytes = 0;
  const copied = [];
  for (const [i, src] of SOURCES.entries()) {
    for (const f of files(roots[i])) {
      const text = readFileSync(f, "utf8");
      let rec;
      try {
        rec = /\.ya?ml$/.test(f) ? parseYaml(text) : JSON.parse(text);
      } catch {
        continue;
      }
      if (!rec?.id || !wanted.has(rec.id) || rec.withdrawn || !relevant(rec)) continue;
      const dest = join(demoAdvisoriesDir, src.to(f, roots[i], rec.id));
      mkdirSync(join(dest, ".."), { recursive: true });
      copyFileSync(f, dest);
      bytes += statSync(dest).size;
      copied.push(`${relative(data, f)} -> ${relative(demoAdvisoriesDir, dest)}`);
    }
  }
  console.log(copied.sort().join("\n"));
  console.log(`${copied.length} records, ${bytes} bytes; ${findings.length} findings on the demo image`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
