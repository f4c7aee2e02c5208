import { statSync } from "node:fs";
import { matchInventory } from "../match/matcher.js";
import type { Detection, Finding, Report } from "../model/index.js";
import { summarize } from "../report/summary.js";
import { sleep } from "../runtime/events.js";
import { VERSION } from "../version.js";
import { type DatabaseStatus, databaseStatus, resolveDbPath, VulnDb } from "../vulndb/index.js";
import type { ServerContext } from "./context.js";
import { kindCounts } from "./scan-job.js";
import type { StoredScan } from "./store/types.js";

/**
 * When the vulnerability DB gains advisories (`airbag db update` renames a new file over it), every
 * stored inventory is matched again: new vulnerabilities update the stored scan (so admission and the
 * dashboard see them at once) and each becomes a `new-cve` detection for the fleet policy, naming the
 * hosts that run the image — the owners to notify.
 */

export function dbStatus(ctx: ServerContext): DatabaseStatus | { missing: string } {
  const path = resolveDbPath(ctx.options.vulnDb);
  try {
    return databaseStatus(path);
  } catch {
    return { missing: path };
  }
}

const findingKey = (f: Finding) =>
  f.kind === "vulnerability" ? `${f.id} ${f.package}` : `${f.kind} ${f.id} ${JSON.stringify(f.location)}`;

export interface ReevaluationResult {
  images: number;
  changed: { digest: string; added: string[] }[];
}

/** Match every stored report's inventory against the DB at `dbPath`; store and announce what is new. */
export async function reevaluateAll(ctx: ServerContext, dbPath: string): Promise<ReevaluationResult> {
  const db = VulnDb.open(dbPath, { readonly: true });
  const out: ReevaluationResult = { images: 0, changed: [] };
  try {
    const hosts = await ctx.store.listHosts();
    for (let offset = 0; ; offset += 100) {
      const page = await ctx.store.listScans({ limit: 100, offset });
      if (!page.length) break;
      for (const head of page) {
        const scan = await ctx.store.getScan(head.digest, true);
        if (!scan?.report) continue;
        out.images++;
        const added = await reevaluateOne(ctx, scan as StoredScan & { report: Report }, db);
        if (!added.length) continue;
        out.changed.push({ digest: scan.digest, added: added.map((f) => f.id) });
        const running = hosts.flatMap((h) =>
          h.containers.filter((c) => c.imageDigest === scan.digest).map((c) => ({ host: h.host, c })),
        );
        for (const f of added) {
          const targets = running.length ? running : [undefined];
          for (const t of targets) {
            const d: Detection = {
              detector: "new-cve",
              id: f.id,
              kind: "vulnerability",
              severity: f.severity,
              title: `${f.id} now affects ${scan.refs[0] ?? scan.digest}`,
              container: t?.c ?? {
                id: scan.digest,
                name: scan.refs[0] ?? scan.digest,
                image: scan.refs[0] ?? scan.digest,
              },
              evidence: `${f.id} in ${f.kind === "vulnerability" ? `${f.package} ${f.installedVersion}` : f.id}, published after the image was scanned`,
              at: new Date().toISOString(),
              ...(t ? { host: t.host } : {}),
            };
            await ctx.fleet.evaluate(d);
          }
        }
      }
      if (page.length < 100) break;
    }
  } finally {
    db.close();
  }
  return out;
}

async function reevaluateOne(
  ctx: ServerContext,
  scan: StoredScan & { report: Report },
  db: VulnDb,
): Promise<Finding[]> {
  const r = scan.report;
  const vulns = matchInventory(r, db);
  const known = new Set([...r.findings, ...r.suppressed.map((s) => s.finding)].map(findingKey));
  const added = vulns.filter((f) => !known.has(findingKey(f)));
  if (!added.length) return [];
  const findings = [...r.findings, ...added];
  const report: Report = { ...r, findings, summary: summarize(findings) };
  await ctx.store.putScan({ ...scan, report, summary: report.summary, kinds: kindCounts(findings) });
  await ctx.audit.append("change", {
    by: "re-evaluation",
    what: "scan",
    digest: scan.digest,
    added: added.map((f) => f.id),
    tool: VERSION,
  });
  for (const f of ctx.onScanStored) f(scan.digest);
  return added;
}

/** Poll the DB file; on a change (new mtime or size) re-evaluate. Resolves when the signal aborts. */
export async function startReevaluation(ctx: ServerContext, signal: AbortSignal): Promise<void> {
  const every = ctx.options.dbWatchMs ?? 60_000;
  if (!every) return;
  const path = resolveDbPath(ctx.options.vulnDb);
  const stamp = () => {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? `${st.mtimeMs}:${st.size}` : "";
  };
  let seen = stamp();
  while (!signal.aborted) {
    await sleep(every, signal);
    if (signal.aborted) break;
    const now = stamp();
    if (now === seen || !now) continue;
    seen = now;
    try {
      const r = await reevaluateAll(ctx, path);
      if (r.changed.length)
        ctx.warn(`re-evaluated ${r.images} images: ${r.changed.length} gained vulnerabilities`);
    } catch (e) {
      ctx.warn(`re-evaluation: ${(e as Error).message}`);
    }
  }
}
