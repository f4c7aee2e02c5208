/**
 * Policy durations: "30s", "15m", "2h", "1d", "250ms", or several units run together ("1h30m").
 * The same grammar is the `duration` pattern in schemas/policy.schema.json.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** One or more <digits><unit> parts, largest first is not required ("30s1m" is 90 s). */
export const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** A year is far past any cooldown or approval window; longer is almost certainly a typo. */
export const MAX_DURATION_MS = 366 * UNIT_MS.d!;

/**
 * Milliseconds in `text`, or undefined when it is not a duration (the caller words the error: it knows
 * the file and the key).
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!DURATION_PATTERN.test(s)) return undefined;
  let total = 0;
  for (const [, digits, unit] of s.matchAll(PART)) {
    total += Number(digits) * UNIT_MS[unit!]!;
    if (!Number.isSafeInteger(total) || total > MAX_DURATION_MS) return undefined;
  }
  return total;
}

/** 900000 → "15m", 5400000 → "1h30m", 1500 → "1s500ms": for tables and messages. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
