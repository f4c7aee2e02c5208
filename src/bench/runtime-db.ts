import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DbWriter, importPath, VulnDb } from "../vulndb/index.js";

/**
 * The bundled runtime advisory pack (`data/runtime-advisories/`, see its README for what and from
 * where): NVD's CVE-2019-5736 record, the Go vulndb records of runc, containerd, docker and podman, a
 * Debian fixed-version record for runc, and the fix-commit table. `openRuntimeAdvisories` imports the
 * feeds with the ordinary importers into an in-memory database, for runs without a vulnerability DB.
 */

export const RUNTIME_ADVISORIES_DIR = fileURLToPath(
  new URL("../../data/runtime-advisories/", import.meta.url),
);
export const FIX_COMMITS_FILE = fileURLToPath(
  new URL("fix-commits.json", `file://${RUNTIME_ADVISORIES_DIR}`),
);

export interface RuntimeAdvisoriesOptions {
  /** pack directory (default: the bundled one); its `feeds/` subdirectory is imported */
  dir?: string;
  warn?: (message: string) => void;
  now?: () => Date;
}

/** An in-memory database holding the pack; close it when done. */
export async function openRuntimeAdvisories(opts: RuntimeAdvisoriesOptions = {}): Promise<VulnDb> {
  const now = opts.now ?? (() => new Date());
  const db = VulnDb.open(":memory:", { now });
  try {
    const writer = new DbWriter(db);
    const ctx = { warn: opts.warn ?? (() => {}), now };
    await importPath(join(opts.dir ?? RUNTIME_ADVISORIES_DIR, "feeds"), writer, ctx);
    writer.finish(now().toISOString());
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
