import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseProcAddress, parseProcNet } from "./proc-net.js";

/**
 * /proc/<pid>/net/* rows. The tcp and tcp6 files below were read from a busybox container on this
 * machine (podman, `nc 127.0.0.1 3333` against `nc -l -p 3333` inside the container); the others are
 * written in the kernel's format (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c, udp.c).
 */

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 0100007F:C11C 0100007F:0D05 01 00000000:00000000 00:00000000 00000000     0        0 881651 1 0000000022b7590f 20 0 0 10 -1                    
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:0D05 0000000000000000FFFF00000100007F:C11C 01 00000000:00000000 00:00000000 00000000     0        0 881694 1 00000000a922200f 20 0 0 10 -1
   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 881700 1 0000000000000000 100 0 0 10 0
   2: B80D0120000000000000000001000000:01BB B80D01200000000002450DFFB2A1C6FE:D431 06 00000000:00000000 03:00000F2A 00000000     0        0 0 3 0000000000000000
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
  113: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 21211 2 0000000000000000 0         
  200: 0A00580A:9C40 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 21299 2 0000000000000000 0         
`;

describe("parseProcNet", () => {
  it("reads the real rows of a loopback connection inside a container (IPv4 and IPv4-mapped IPv6)", () => {
    expect(parseProcNet("tcp", TCP)).toEqual([
      {
        proto: "tcp",
        local: { ip: "127.0.0.1", port: 49436 },
        remote: { ip: "127.0.0.1", port: 3333 },
        state: "ESTABLISHED",
      },
    ]);
    const six = parseProcNet("tcp6", TCP6);
    expect(six[0]).toEqual({
      proto: "tcp6",
      local: { ip: "::ffff:127.0.0.1", port: 3333 },
      remote: { ip: "::ffff:127.0.0.1", port: 49436 },
      state: "ESTABLISHED",
    });
    expect(six[1]).toMatchObject({
      local: { ip: "::1", port: 8080 },
      remote: { ip: "::", port: 0 },
      state: "LISTEN",
    });
    expect(six[2]).toMatchObject({
      local: { ip: "2001:db8::1", port: 443 },
      remote: { ip: "2001:db8::ff0d:4502:fec6:a1b2", port: 54321 },
      state: "TIME_WAIT",
    });
  });

  it("shows unconnected UDP sockets as UNCONN and connected ones as ESTABLISHED", () => {
    expect(parseProcNet("udp", UDP)).toEqual([
      {
        proto: "udp",
        local: { ip: "127.0.0.1", port: 53 },
        remote: { ip: "0.0.0.0", port: 0 },
        state: "UNCONN",
      },
      {
        proto: "udp",
        local: { ip: "10.88.0.10", port: 40000 },
        remote: { ip: "8.8.8.8", port: 53 },
        state: "ESTABLISHED",
      },
    ]);
  });

  it("skips malformed rows and stops at maxRows", () => {
    const text = `${TCP}garbage\n  9: ZZZZZZZZ:0001 0100007F:0D05 01\n  10: 0100007F:0001 0100007F:0D05\n${TCP.split("\n")[1]}\n`;
    expect(parseProcNet("tcp", text)).toHaveLength(2);
    expect(parseProcNet("tcp", text, 1)).toHaveLength(1);
    expect(parseProcNet("tcp", "")).toEqual([]);
  });
});

/** the kernel's rendering: each 32-bit word of the address in little-endian order, %08X, then :%04X */
function kernelHex(bytes: number[], port: number): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4) {
    const w = [bytes[i + 3], bytes[i + 2], bytes[i + 1], bytes[i]] as number[];
    s += w
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("")
      .toUpperCase();
  }
  return `${s}:${port.toString(16).toUpperCase().padStart(4, "0")}`;
}

describe("parseProcAddress (property, against the kernel's encoding and WHATWG's IPv6 serialiser)", () => {
  const port = fc.integer({ min: 0, max: 65535 });
  it("IPv4", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        port,
        (b, p) => {
          expect(parseProcAddress(kernelHex(b, p))).toEqual({ ip: b.join("."), port: p });
        },
      ),
    );
  });

  it("IPv6, with runs of zero groups and IPv4-mapped addresses", () => {
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        port,
        (groups, mapped, p) => {
          if (mapped) groups.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
          const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
          const got = parseProcAddress(kernelHex(bytes, p));
          // IPv4-mapped is shown dotted, however it was generated (fast-check likes 0xffff)
          const isMapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
          const expected = isMapped
            ? `::ffff:${bytes.slice(12).join(".")}`
            : new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`).hostname.slice(1, -1);
          expect(got).toEqual({ ip: expected, port: p });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseProcAddress(s);
        parseProcNet("tcp6", `header\n${s}`);
      }),
    );
  });
});
