/**
 * Shannon entropy of a string in bits per character: how evenly its characters are spread over the
 * alphabet it uses. Random base64 of 20+ characters scores ≈ 4.2–5, hex ≈ 3.6–4, English words and
 * identifiers ≈ 2.5–3.5 — which is why generic rules (no fixed token prefix) ask for a minimum in the pack.
 */
export function shannonEntropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  // secrets reach us as latin1 strings (one char per byte): a 256-slot table, no Map
  const counts = new Uint16Array(256);
  for (let i = 0; i < n; i++) counts[s.charCodeAt(i) & 0xff]!++;
  let bits = 0;
  for (const k of counts) {
    if (k === 0) continue;
    const p = k / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Character classes present: lowercase, uppercase, digit, other (1–4). */
export function charClasses(s: string): number {
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}
