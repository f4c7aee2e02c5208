/**
 * Go build information, as the Go toolchain embeds it in every binary it links (readers: the Go source's
 * debug/buildinfo and runtime/debug.ParseBuildInfo; this is our own code over those documented formats).
 *
 * The blob sits at a 16-byte-aligned address in writable data (ELF `.go.buildinfo`, Mach-O
 * `__go_buildinfo`, start of PE `.data`): a 14-byte magic, the pointer size (byte 14), flags (byte 15:
 * bit 0 big-endian, bit 1 "strings inline"), padded to 32 bytes. Go ≥ 1.18 sets bit 1 and follows the
 * header with two uvarint-length-prefixed strings: the toolchain version and the module info. Older
 * toolchains store, at offsets 16 and 16+ptrSize, the addresses of two Go string headers (data pointer,
 * length) instead. The module info string is framed by 16-byte sentinels on both ends.
 *
 * Pure functions over bytes; none of them throws on malformed input.
 */
export const BUILDINFO_MAGIC = Buffer.from("\xff Go buildinf:", "latin1");
export const BUILDINFO_ALIGN = 16;
/** module info longer than this is treated as corrupt (1 MiB ≈ 10 000 dependencies; real binaries stay under 100 KiB) */
export const MAX_MODINFO = 1 << 20;
const MAX_VERSION = 256;
/** cmd/go's modinfo framing (modload infoStart / infoEnd) */
export const MODINFO_START = Buffer.from("3077af0c9274080241e1c107e6d618e6", "hex");
export const MODINFO_END = Buffer.from("f932433186182072008242104116d8f2", "hex");

export type BuildInfoHeader =
  | { kind: "invalid" }
  /** not decidable yet: call again once at least `need` bytes from the magic on are available */
  | { kind: "more"; need: number }
  | { kind: "inline"; version: string; modinfo: string }
  | { kind: "pointers"; ptrSize: 4 | 8; bigEndian: boolean; versionAddr: number; modinfoAddr: number };

const INVALID: BuildInfoHeader = { kind: "invalid" };

/** Decode the blob starting at `b[0]` (the magic). */
export function parseBuildInfoHeader(b: Buffer): BuildInfoHeader {
  if (b.length < 32) return { kind: "more", need: 32 };
  if (!b.subarray(0, 14).equals(BUILDINFO_MAGIC)) return INVALID;
  const ptrSize = b[14];
  if (ptrSize !== 4 && ptrSize !== 8) return INVALID;
  const flags = b[15]!;
  if ((flags & 2) === 0) {
    const bigEndian = (flags & 1) !== 0;
    const versionAddr = readPtr(b, 16, ptrSize, bigEndian);
    const modinfoAddr = readPtr(b, 16 + ptrSize, ptrSize, bigEndian);
    if (versionAddr <= 0 || modinfoAddr <= 0) return INVALID;
    return { kind: "pointers", ptrSize, bigEndian, versionAddr, modinfoAddr };
  }
  const v = uvarint(b, 32);
  if (v === "short") return { kind: "more", need: b.length + 1 };
  if (v === "bad" || v.value === 0 || v.value > MAX_VERSION) return INVALID;
  const vEnd = v.next + v.value;
  if (b.length < vEnd + 1) return { kind: "more", need: vEnd + 1 };
  const version = b.toString("latin1", v.next, vEnd);
  if (!isPrintable(version)) return INVALID;
  const m = uvarint(b, vEnd);
  if (m === "short") return { kind: "more", need: b.length + 1 };
  if (m === "bad" || m.value > MAX_MODINFO) return INVALID;
  const mEnd = m.next + m.value;
  if (b.length < mEnd) return { kind: "more", need: mEnd };
  return { kind: "inline", version, modinfo: decodeModinfo(b.subarray(m.next, mEnd)) };
}

/** A Go string header (data pointer, length) as stored by pre-1.18 toolchains. */
export function readStringHeader(
  b: Buffer,
  ptrSize: 4 | 8,
  bigEndian: boolean,
): { addr: number; len: number } | undefined {
  if (b.length < 2 * ptrSize) return undefined;
  const addr = readPtr(b, 0, ptrSize, bigEndian);
  const len = readPtr(b, ptrSize, ptrSize, bigEndian);
  return addr > 0 && len >= 0 ? { addr, len } : undefined;
}

/** Strip the sentinels (as debug/buildinfo does: only when the framing is intact) and decode. */
export function decodeModinfo(raw: Buffer): string {
  if (raw.length >= 33 && raw[raw.length - 17] === 0x0a) return raw.toString("utf8", 16, raw.length - 16);
  return "";
}

export const isPrintable = (s: string): boolean => /^[\x20-\x7e]+$/.test(s);

function readPtr(b: Buffer, off: number, size: number, be: boolean): number {
  if (size === 4) return be ? b.readUInt32BE(off) : b.readUInt32LE(off);
  const v = be ? b.readBigUInt64BE(off) : b.readBigUInt64LE(off);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

function uvarint(b: Buffer, off: number): { value: number; next: number } | "short" | "bad" {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (off + i >= b.length) return "short";
    const c = b[off + i]!;
    value += (c & 0x7f) * 2 ** (7 * i);
    if (c < 0x80) return { value, next: off + i + 1 };
  }
  return "bad"; // > 2^56: no real length
}

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoModInfo {
  /** main package path (`path` line) */
  path?: string;
  /** main module (`mod` line); absent for GOPATH-mode builds */
  main?: GoModule;
  deps: GoModule[];
  /** `build` lines in order, values unquoted */
  settings: [string, string][];
  /** lines that did not parse, described */
  errors: string[];
}

/** Parse the module info text (`path`, `mod`, `dep`, `=>`, `build` lines, tab-separated). */
export function parseModinfo(text: string): GoModInfo {
  const info: GoModInfo = { deps: [], settings: [], errors: [] };
  let last: GoModule | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line === "") continue; // Go ≤ 1.19 writes a blank line after each `=>` line
    const tab = line.indexOf("\t");
    const key = tab < 0 ? line : line.slice(0, tab);
    const rest = tab < 0 ? "" : line.slice(tab + 1);
    const bad = (why: string) => info.errors.push(`line ${i + 1}: ${why}`);
    switch (key) {
      case "path":
        info.path = rest;
        break;
      case "mod":
      case "dep": {
        const m = moduleOf(rest);
        if (!m) {
          bad(`malformed ${key} line`);
          last = undefined;
          break;
        }
        if (key === "mod") info.main = m;
        else info.deps.push(m);
        last = m;
        break;
      }
      case "=>": {
        const m = moduleOf(rest, true);
        if (!m || !last || last.replace) bad("replacement without a module before it");
        else last.replace = m;
        break;
      }
      case "build": {
        const kv = buildSetting(rest);
        if (kv) info.settings.push(kv);
        else bad("malformed build line");
        break;
      }
      default:
        // other keys (e.g. a `go` line in text from `go version -m`) are not part of the embedded format
        break;
    }
  }
  return info;
}

function moduleOf(rest: string, replacement = false): GoModule | undefined {
  const f = rest.split("\t");
  const path = f[0] ?? "";
  const version = f[1] ?? "";
  // a directory replacement has no version in old toolchains and "(devel)" in newer ones
  if (path === "" || (version === "" && !replacement)) return undefined;
  const m: GoModule = { path, version };
  if (f[2]) m.sum = f[2];
  return m;
}

function buildSetting(kv: string): [string, string] | undefined {
  let key: string;
  let raw: string;
  if (kv.startsWith('"') || kv.startsWith("`")) {
    const end = quotedEnd(kv);
    const k = end < 0 ? undefined : unquoteGo(kv.slice(0, end));
    if (k === undefined || kv[end] !== "=") return undefined;
    key = k;
    raw = kv.slice(end + 1);
  } else {
    const eq = kv.indexOf("=");
    if (eq <= 0) return undefined;
    key = kv.slice(0, eq);
    raw = kv.slice(eq + 1);
  }
  const value = raw.startsWith('"') || raw.startsWith("`") ? unquoteGo(raw) : raw;
  return value === undefined ? undefined : [key, value];
}

/** Index just past the closing quote of the quoted string at the start of `s`, or -1. */
function quotedEnd(s: string): number {
  const q = s[0];
  for (let i = 1; i < s.length; i++) {
    if (q === '"' && s[i] === "\\") i++;
    else if (s[i] === q) return i + 1;
  }
  return -1;
}

const ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
};

/** Go's strconv.Unquote for "…" and `…` literals; undefined when `s` is not one. */
export function unquoteGo(s: string): string | undefined {
  if (s.length < 2 || s[s.length - 1] !== s[0]) return undefined;
  const body = s.slice(1, -1);
  if (s[0] === "`") return body.includes("`") ? undefined : body;
  if (s[0] !== '"') return undefined;
  let out = "";
  const bytes: number[] = []; // \x and octal escapes are bytes of UTF-8 text
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes.splice(0)).toString("utf8");
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"') return undefined;
    if (c !== "\\") {
      flush();
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (e === "x" || e === "u" || e === "U" || (e >= "0" && e <= "7")) {
      const n = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 3;
      const digits = e >= "0" && e <= "7" ? body.slice(i, i + 3) : body.slice(i + 1, i + 1 + n);
      const v = Number.parseInt(digits, e >= "0" && e <= "7" ? 8 : 16);
      if (digits.length !== n || Number.isNaN(v) || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
      i += e >= "0" && e <= "7" ? 2 : n;
      if (e === "x" || (e >= "0" && e <= "7")) {
        if (v > 255) return undefined;
        bytes.push(v);
      } else {
        if (v > 0x10ffff) return undefined;
        flush();
        out += String.fromCodePoint(v);
      }
      continue;
    }
    const m = ESCAPES[e];
    if (m === undefined) return undefined;
    flush();
    out += m;
  }
  flush();
  return out;
}

/**
 * Toolchain version → the semver the Go vulnerability database uses for the `stdlib` module:
 * go1.21.3 → 1.21.3, go1.21 → 1.21.0, go1.21rc2 → 1.21.0-rc.2. Anything after the version proper
 * (` X:boringcrypto`, `-20231128-RC02`) is dropped. Undefined for `devel …` and other non-release strings.
 */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?(?![\d.])/.exec(goVersion);
  if (!m) return undefined;
  const core = `${m[1]}.${m[2] ?? "0"}.${m[3] ?? "0"}`;
  return m[4] ? `${core}-${m[4]}.${m[5]}` : core;
}

/** cmd/go's rule for a replacement that is a directory rather than a module path. */
export const isLocalPath = (p: string): boolean =>
  p === "." ||
  p === ".." ||
  p.startsWith("./") ||
  p.startsWith("../") ||
  p.startsWith("/") ||
  p.startsWith(".\\") ||
  p.startsWith("..\\") ||
  /^[A-Za-z]:[\\/]/.test(p);
