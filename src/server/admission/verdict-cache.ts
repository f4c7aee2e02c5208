import type { SeverityCounts } from "../../model/index.js";

/**
 * What admission needs to know about an image, remembered so that a warm image costs no store query
 * (the goal is p99 ≤ 25 ms at 500 req/s). Entries hold the scan facts, not the verdict: the verdict is
 * a pure function of facts and policy, so a policy change never serves a stale answer.
 *
 * - by digest (`image@sha256:…`): a scan result for a digest only changes when it is re-scanned, which
 *   `invalidateDigest` (hooked to ctx.onScanStored) handles in this process; the TTL bounds staleness
 *   when a worker in another process stored it.
 * - by reference (a tag): tags move, so these live for a short TTL and any stored scan drops them.
 * - "not scanned" answers live shortest: the scan they queue should be seen soon after it lands.
 */

export interface ScanFacts {
  digest: string;
  summary: SeverityCounts;
  signed?: boolean;
  scannedAt: string;
}

export interface CachedLookup {
  /** undefined: no scan stored for this image */
  facts?: ScanFacts;
  /** the scan job queued for an unscanned image (so repeats do not queue again) */
  jobId?: string;
}

export interface VerdictCacheOptions {
  digestTtlMs?: number;
  refTtlMs?: number;
  unscannedTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  value: CachedLookup;
  expires: number;
}

export class VerdictCache {
  private readonly entries = new Map<string, Entry>();
  private readonly digestTtlMs: number;
  private readonly refTtlMs: number;
  private readonly unscannedTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(o: VerdictCacheOptions = {}) {
    this.digestTtlMs = o.digestTtlMs ?? 60_000;
    this.refTtlMs = o.refTtlMs ?? 15_000;
    this.unscannedTtlMs = o.unscannedTtlMs ?? 2_000;
    this.maxEntries = o.maxEntries ?? 20_000;
    this.now = o.now ?? Date.now;
  }

  /** Cache key of an image reference: its digest when pinned, else the reference as written. */
  static keyFor(image: string): string {
    const at = image.indexOf("@");
    return at >= 0 ? `d:${image.slice(at + 1)}` : `r:${image}`;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedLookup | undefined {
    const e = this.entries.get(key);
    if (!e || e.expires <= this.now()) {
      if (e) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e.value;
  }

  set(key: string, value: CachedLookup): void {
    const ttl = !value.facts ? this.unscannedTtlMs : key.startsWith("d:") ? this.digestTtlMs : this.refTtlMs;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      // Map iterates in insertion order: the first key is the oldest write
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expires: this.now() + ttl });
  }

  /**
   * A scan for `digest` was stored: drop its digest entry and every tag entry — the hook names only the
   * digest, and a tag just pushed to a new digest still points at its old verdict. Other digests'
   * entries stay; tags cost one query each on their next request (scans land seconds apart at most).
   */
  invalidateDigest(digest: string): void {
    this.entries.delete(`d:${digest}`);
    for (const [key, e] of this.entries) {
      if (key.startsWith("r:") || !e.value.facts) this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
