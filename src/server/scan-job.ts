import { createHash } from "node:crypto";
import { loadPublicKeyFile, verifyImage } from "../image/trust/index.js";
import type { Finding, Report } from "../model/index.js";
import { type ScanOptions, scan } from "../scan.js";
import type { JobResult } from "./queue/types.js";
import type { ScanJob, ServerStore, StoredScan } from "./store/types.js";

/**
 * One scan job: `scan()` the target, then store the result under the image digest (a second job for
 * the same image replaces the result, never duplicates it). Used by `airbag worker` and by the
 * in-process queue of `airbag serve`.
 */

export interface ScanJobContext {
  store: ServerStore;
  /** vulnerability database (default: $AIRBAG_DB, else the XDG cache) */
  dbPath?: string;
  /** cosign public key (PEM file): registry images get `signed` from a signature check */
  verifyKey?: string;
  /** extra scan options (scanners, platform, insecure registries…) */
  scanOptions?: Omit<ScanOptions, "db">;
}

/** The image digest of a report; a target with none (a `dir:` rootfs, an SBOM) gets a hash of its name. */
export function digestOf(report: Pick<Report, "target">, target: string): string {
  return (
    report.target.digest ?? `sha256:${createHash("sha256").update(`airbag-target:${target}`).digest("hex")}`
  );
}

export function kindCounts(findings: readonly Finding[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const f of findings) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
  return kinds;
}

async function signatureState(
  target: string,
  key: string | undefined,
  insecure?: boolean,
): Promise<boolean | undefined> {
  if (!key || !target.startsWith("registry:")) return undefined;
  const r = await verifyImage(target, {
    key: await loadPublicKeyFile(key),
    ...(insecure ? { insecure } : {}),
  });
  return r.verified;
}

export async function runScanJob(
  job: ScanJob,
  ctx: ScanJobContext,
): Promise<JobResult & { scan: StoredScan }> {
  const report = await scan(job.target, { ...ctx.scanOptions, ...(ctx.dbPath ? { db: ctx.dbPath } : {}) });
  const signed = await signatureState(job.target, ctx.verifyKey, ctx.scanOptions?.insecure);
  const stored: StoredScan = {
    digest: digestOf(report, job.target),
    refs: [job.target],
    scannedAt: new Date().toISOString(),
    summary: report.summary,
    kinds: kindCounts(report.findings),
    ...(signed !== undefined ? { signed } : {}),
    report,
  };
  await ctx.store.putScan(stored);
  return { digest: stored.digest, scan: stored };
}
