/**
 * Seeded mutations for the fuzz runner. Everything is a pure function of (seed, index): the runner and
 * the watchdog regenerate any mutant from its index, so a hang or crash is reproducible from one number.
 */

/** mulberry32: a small, fast, seedable PRNG (quality is ample for picking mutations). */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

// values that sit on the edges parsers get wrong: sign bits, size fields, off-by-one around powers of two
const INTERESTING = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
];

const bitFlip = (r, b) => {
  const out = Buffer.from(b);
  const n = 1 + r.int(8);
  for (let i = 0; i < n && out.length > 0; i++) out[r.int(out.length)] ^= 1 << r.int(8);
  return out;
};
const byteInsert = (r, b) => {
  const at = r.int(b.length + 1);
  const ins = Buffer.alloc(1 + r.int(16));
  for (let i = 0; i < ins.length; i++) ins[i] = r.int(256);
  return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
};
const byteDelete = (r, b) => {
  const at = r.int(b.length + 1);
  return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + r.int(64)))]);
};
const truncate = (r, b) => b.subarray(0, r.int(b.length + 1));
const interestingInt = (r, b) => {
  if (b.length < 4) return byteInsert(r, b);
  const out = Buffer.from(b);
  const at = r.int(out.length - 3);
  const v = r.pick(INTERESTING);
  if (r.next() < 0.5) out.writeUInt32LE(v >>> 0, at);
  else out.writeUInt32BE(v >>> 0, at);
  return out;
};
// ASCII digits too: text formats (tar octal fields, sizes in JSON, versions) hold numbers as text
const interestingText = (r, b) => {
  const at = r.int(b.length + 1);
  const word = Buffer.from(r.pick(["0", "-1", "99999999999", "777777777777", "1e308", "NaN", "\0", "%n"]));
  return Buffer.concat([b.subarray(0, at), word, b.subarray(Math.min(b.length, at + word.length))]);
};
const repeatChunk = (r, b) => {
  if (b.length === 0) return b;
  const from = r.int(b.length);
  const chunk = b.subarray(from, from + 1 + r.int(256));
  const times = 2 + r.int(r.next() < 0.1 ? 2000 : 16);
  return Buffer.concat([b.subarray(0, from), ...Array(times).fill(chunk), b.subarray(from + chunk.length)]);
};
const splice = (r, b, seeds) => {
  const other = r.pick(seeds);
  return Buffer.concat([b.subarray(0, r.int(b.length + 1)), other.subarray(r.int(other.length + 1))]);
};

const BYTE_MUTATORS = [
  bitFlip,
  byteInsert,
  byteDelete,
  truncate,
  interestingInt,
  interestingText,
  repeatChunk,
  splice,
];

/** 1..4 stacked byte-level mutations of a seed. */
export function mutateBytes(r, seed, seeds) {
  let b = seed;
  const rounds = 1 + r.int(4);
  for (let i = 0; i < rounds; i++) b = r.pick(BYTE_MUTATORS)(r, b, seeds);
  return b;
}

// replacement values for structure-aware JSON mutation: wrong types, edge numbers, prototype keys,
// long and odd strings, deep nesting
const hostileValue = (r) => {
  switch (r.int(12)) {
    case 0:
      return null;
    case 1:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER]);
    case 2:
      return r.pick([true, false]);
    case 3:
      return "";
    case 4:
      return "x".repeat(1 + r.int(100_000));
    case 5:
      return r.pick([
        "../../etc/passwd",
        "\u0000",
        "\ud800",
        "sha256:",
        "a@sha256:zz",
        "::",
        "%00",
        "$" + "{x}",
      ]);
    case 6:
      return [];
    case 7:
      return {};
    // own "__proto__" keys, as JSON.parse produces them
    case 8:
      return JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}');
    case 9: {
      let v = [];
      for (let i = 0, n = 1 + r.int(5000); i < n; i++) v = [v];
      return v;
    }
    case 10:
      return Array(1 + r.int(2000)).fill("dup");
    default:
      return r.pick(["0", "1", "true", "null", "latest", "v1", "1.0.0", "*"]);
  }
};

function nodesOf(root) {
  const out = [];
  const visit = (v, depth) => {
    if (depth > 64 || v === null || typeof v !== "object") return;
    for (const k of Object.keys(v)) {
      out.push([v, k]);
      visit(v[k], depth + 1);
    }
  };
  visit(root, 0);
  return out;
}

/** Structure-aware mutation of a JSON document: replace, delete, duplicate or re-type 1..4 nodes. */
export function mutateJson(r, doc) {
  const root = structuredClone(doc);
  const rounds = 1 + r.int(4);
  for (let i = 0; i < rounds; i++) {
    const nodes = nodesOf(root);
    if (nodes.length === 0) return hostileValue(r);
    const [parent, key] = r.pick(nodes);
    const op = r.int(4);
    if (op === 0 && !Array.isArray(parent)) delete parent[key];
    else if (op === 1 && Array.isArray(parent[key])) parent[key].push(...parent[key].slice(0, 50));
    else if (op === 2 && typeof parent[key] === "string")
      parent[key] = parent[key].split("").reverse().join("");
    else parent[key] = hostileValue(r);
  }
  return root;
}

/**
 * Mutant `index` of a corpus. `kind` "json" mixes structure-aware mutations (most inputs) with byte
 * mutations of the serialised text (so the JSON parser's own errors are exercised too); "bytes" and
 * "text" use byte mutations only. Index 0..seeds-1 are the unmodified seeds (they must parse cleanly).
 */
export function mutant(seed, index, seeds, kind) {
  if (index < seeds.length) return seeds[index];
  const r = prng((seed ^ Math.imul(index, 0x9e3779b1)) >>> 0);
  const base = r.pick(seeds);
  if (kind === "json" && r.next() < 0.8) {
    try {
      return Buffer.from(JSON.stringify(mutateJson(r, JSON.parse(base.toString("utf8")))));
    } catch {
      // a seed that is not JSON (e.g. YAML) falls back to byte mutation
    }
  }
  return mutateBytes(r, base, seeds);
}
