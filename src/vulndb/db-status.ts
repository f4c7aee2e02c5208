/**
 * `airbag db status`: the store's own status plus what `db update` recorded (when each source was last
 * confirmed current), and how old that makes the data.
 */
import { existsSync } from "node:fs";
import { missingDbError } from "./db-path.js";
import { VulnDb } from "./store.js";
import type { DbStatus } from "./types.js";

export interface DatabaseStatus extends Omit<DbStatus, "sources"> {
  sources: Record<string, { updatedAt?: string; checkedAt?: string; records: number }>;
  /** the last `db update` that succeeded for every source it ran (changed or not) */
  checkedAt?: string;
  /** seconds since the newest of built-at, checked-at and the sources' update/check times */
  ageSeconds?: number;
  maxAgeSeconds: number;
  /** older than `maxAgeSeconds`, or no date at all */
  stale: boolean;
}

export function databaseStatus(
  dbPath: string,
  options: { now?: () => Date; maxAgeMs?: number } = {},
): DatabaseStatus {
  if (!existsSync(dbPath)) throw missingDbError(dbPath);
  const db = VulnDb.open(dbPath, { readonly: true });
  try {
    const base = db.status();
    const sources: DatabaseStatus["sources"] = {};
    const times = [base.builtAt, db.getMeta("checked_at")];
    for (const [name, s] of Object.entries(base.sources)) {
      const checkedAt = db.getMeta(`source.${name}.checked_at`);
      sources[name] = { ...s, ...(checkedAt ? { checkedAt } : {}) };
      times.push(s.updatedAt, checkedAt);
    }
    const newest = Math.max(
      ...times.map((t) => (t ? Date.parse(t) : Number.NaN)).filter((t) => !Number.isNaN(t)),
    );
    const maxAgeSeconds = Math.round((options.maxAgeMs ?? 7 * 24 * 3600 * 1000) / 1000);
    const ageSeconds = Number.isFinite(newest)
      ? Math.max(0, Math.round(((options.now?.() ?? new Date()).getTime() - newest) / 1000))
      : undefined;
    const checkedAt = db.getMeta("checked_at");
    return {
      ...base,
      sources,
      ...(checkedAt ? { checkedAt } : {}),
      ...(ageSeconds !== undefined ? { ageSeconds } : {}),
      maxAgeSeconds,
      stale: ageSeconds === undefined || ageSeconds > maxAgeSeconds,
    };
  } finally {
    db.close();
  }
}
