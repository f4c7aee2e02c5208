import type { Connection, Endpoint } from "./types.js";

/**
 * Parser for /proc/<pid>/net/{tcp,tcp6,udp,udp6} (the sockets of that process's network namespace).
 * Each row is `sl local rem st …` with addresses as hex `ADDR:PORT`: the address is the kernel's
 * in-memory bytes printed as 32-bit words in host order (little-endian here), so IPv4 `0100007F` is
 * 127.0.0.1 and IPv6 is four such words; the port is plain big hex.
 */

/** include/net/tcp_states.h */
const TCP_STATES: Record<number, string> = {
  1: "ESTABLISHED",
  2: "SYN_SENT",
  3: "SYN_RECV",
  4: "FIN_WAIT1",
  5: "FIN_WAIT2",
  6: "TIME_WAIT",
  7: "CLOSE",
  8: "CLOSE_WAIT",
  9: "LAST_ACK",
  10: "LISTEN",
  11: "CLOSING",
  12: "NEW_SYN_RECV",
};

/** one 32-bit word printed in little-endian host order → its 4 bytes in network order */
function wordBytes(hex8: string): number[] | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex8)) return undefined;
  const v = Number.parseInt(hex8, 16);
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function ipv6Text(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // IPv4-mapped (::ffff:a.b.c.d): how a dual-stack socket shows an IPv4 peer
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return `::ffff:${bytes.slice(12).join(".")}`;
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on a tie
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** `0100007F:0D05` → {ip: "127.0.0.1", port: 3333}; 32 hex digits before the colon for IPv6 */
export function parseProcAddress(text: string): Endpoint | undefined {
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  const addr = text.slice(0, colon);
  const portHex = text.slice(colon + 1);
  if (!/^[0-9A-Fa-f]{1,4}$/.test(portHex)) return undefined;
  const port = Number.parseInt(portHex, 16);
  if (addr.length === 8) {
    const b = wordBytes(addr);
    return b ? { ip: b.join("."), port } : undefined;
  }
  if (addr.length === 32) {
    const bytes: number[] = [];
    for (let i = 0; i < 32; i += 8) {
      const b = wordBytes(addr.slice(i, i + 8));
      if (!b) return undefined;
      bytes.push(...b);
    }
    return { ip: ipv6Text(bytes), port };
  }
  return undefined;
}

/**
 * Rows of one net file (header line skipped, malformed rows ignored, at most maxRows). UDP sockets
 * report 7 (CLOSE) when unconnected: shown as UNCONN like `ss` does.
 */
export function parseProcNet(proto: Connection["proto"], text: string, maxRows = 4096): Connection[] {
  const out: Connection[] = [];
  const lines = text.split("\n");
  for (let i = 1; i < lines.length && out.length < maxRows; i++) {
    const f = (lines[i] ?? "").trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0] ?? "")) continue;
    const local = parseProcAddress(f[1] ?? "");
    const remote = parseProcAddress(f[2] ?? "");
    const code = /^[0-9A-Fa-f]{2}$/.test(f[3] ?? "") ? Number.parseInt(f[3] as string, 16) : Number.NaN;
    if (!local || !remote || Number.isNaN(code)) continue;
    const udp = proto === "udp" || proto === "udp6";
    const state = udp && code === 7 ? "UNCONN" : (TCP_STATES[code] ?? `UNKNOWN(${code})`);
    out.push({ proto, local, remote, state });
  }
  return out;
}
