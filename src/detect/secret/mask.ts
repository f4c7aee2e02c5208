/**
 * Masking: a report never carries a whole secret. At most the first 4 and last 4 characters stay
 * visible — the BRIEF's example `"match": "AKIA************MPLE"` for a 20-character key — and fewer
 * for shorter secrets, so that at most 40 % of any secret shows (none below 6 characters). Long
 * secrets get at most 32 stars: the length of a private key body tells nobody anything useful.
 */
const MAX_STARS = 32;

export function maskSecret(secret: string): string {
  const n = secret.length;
  const [head, tail] =
    n >= 20 ? [4, 4] : n >= 16 ? [4, 2] : n >= 12 ? [3, 1] : n >= 9 ? [2, 1] : n >= 6 ? [1, 1] : [0, 0];
  const stars = Math.min(MAX_STARS, Math.max(1, n - head - tail));
  return `${secret.slice(0, head)}${"*".repeat(stars)}${tail ? secret.slice(n - tail) : ""}`;
}
