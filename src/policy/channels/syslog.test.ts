import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AirbagError } from "../../model/index.js";
import { createChannel } from "./index.js";
import { freePort, sampleAlert, selfSignedCert, type TestCert } from "./receivers.testutil.js";
import { SD_ID } from "./syslog-format.js";

const RFC5424 =
  /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[airbag@32473((?: [a-z]+="(?:[^"\\\]]|\\["\\\]])*")+)\] (.*)$/s;

function parse(line: string) {
  const m = RFC5424.exec(line);
  if (!m) throw new Error(`not an RFC 5424 line: ${line}`);
  const params: Record<string, string> = {};
  for (const [, k, v] of m[7]!.matchAll(/ ([a-z]+)="((?:[^"\\\]]|\\["\\\]])*)"/g))
    params[k!] = v!.replace(/\\(["\\\]])/g, "$1");
  return {
    pri: Number(m[1]),
    time: m[2]!,
    host: m[3]!,
    app: m[4]!,
    procId: m[5]!,
    msgId: m[6]!,
    params,
    msg: m[8]!,
  };
}

/** Octet-counted frames (RFC 6587 §3.4.1) from a byte stream. */
function frames(data: Buffer): string[] {
  const out: string[] = [];
  let rest = data;
  while (rest.length > 0) {
    const sp = rest.indexOf(0x20);
    const len = Number(rest.subarray(0, sp).toString("ascii"));
    out.push(rest.subarray(sp + 1, sp + 1 + len).toString("utf8"));
    rest = rest.subarray(sp + 1 + len);
  }
  return out;
}

const opts = { hostname: "node-1", backoffMs: 10, timeoutMs: 3000, retries: 1 };
const alert = sampleAlert({ rule: 'quote"and]bracket\\', evidence: "ünïcode ✓" });
let dir: string;
let cert: TestCert;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "airbag-syslog-"));
  cert = await selfSignedCert();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await cert.cleanup();
});

describe("syslog channel", () => {
  it("udp: one RFC 5424 datagram, PRI from local0 + crit, SD with id/rule/detector, JSON MSG", async () => {
    const server = createSocket("udp4");
    server.bind(0, "127.0.0.1");
    await once(server, "listening");
    const got = once(server, "message");
    const port = (server.address() as AddressInfo).port;
    await createChannel("siem", { type: "syslog", address: `udp://127.0.0.1:${port}` }, opts).send(alert);
    const [buf] = (await got) as [Buffer];
    server.close();
    const line = parse(buf.toString("utf8"));
    expect(line.pri).toBe(16 * 8 + 2);
    expect(Date.parse(line.time)).not.toBeNaN();
    expect([line.host, line.app, line.procId, line.msgId]).toEqual([
      "node-1",
      "airbag",
      String(process.pid),
      "detection",
    ]);
    expect(line.params).toMatchObject({
      id: alert.id,
      rule: alert.rule,
      detector: "cryptominer",
      detection: "miner.stratum",
    });
    expect(/^[\x20-\x7e]*$/.test(line.msg)).toBe(true); // plain ASCII: no BOM needed
    expect(JSON.parse(line.msg)).toEqual(alert);
    expect(SD_ID).toBe("airbag@32473");
  });

  it("maps severities and facilities (daemon + high → 27, local0 + unknown → 134)", async () => {
    const server = createSocket("udp4");
    server.bind(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const seen: number[] = [];
    server.on("message", (b: Buffer) => seen.push(parse(b.toString("utf8")).pri));
    const daemon = createChannel(
      "s",
      { type: "syslog", address: `udp://127.0.0.1:${port}`, facility: "daemon" },
      opts,
    );
    const local0 = createChannel("s", { type: "syslog", address: `udp://127.0.0.1:${port}` }, opts);
    await daemon.send(sampleAlert({ severity: "high" }));
    await local0.send(sampleAlert({ severity: "medium" }));
    await local0.send(sampleAlert({ severity: "low" }));
    await local0.send(sampleAlert({ severity: "unknown" }));
    for (let i = 0; i < 50 && seen.length < 4; i++) await sleep(10);
    server.close();
    expect(seen.sort((a, b) => a - b)).toEqual([27, 132, 133, 134]);
  });

  it("tcp: octet-counting framing, one frame per alert", async () => {
    let data = Buffer.alloc(0);
    const server = createNetServer((s) => s.on("data", (c: Buffer) => (data = Buffer.concat([data, c]))));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const ch = createChannel(
      "siem",
      {
        type: "syslog",
        address: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
        appName: "airbag-test",
      },
      opts,
    );
    await ch.send(alert);
    await ch.send(sampleAlert({ id: "second" }));
    for (let i = 0; i < 50 && frames(data).length < 2; i++) await sleep(10);
    server.close();
    const got = frames(data).map(parse);
    expect(got.map((f) => f.params.id).sort()).toEqual([alert.id, "second"].sort());
    expect(got[0]!.app).toBe("airbag-test");
    expect(JSON.parse(got.find((f) => f.params.id === alert.id)!.msg).evidence).toBe("ünïcode ✓");
  });

  it("tls: octet-counted frames over TLS, verified against the given CA", async () => {
    let data = Buffer.alloc(0);
    const server = createTlsServer({ key: cert.key, cert: cert.cert }, (s) =>
      s.on("data", (c: Buffer) => (data = Buffer.concat([data, c]))),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = `tls://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await createChannel("siem", { type: "syslog", address }, { ...opts, ca: cert.cert }).send(alert);
    for (let i = 0; i < 50 && frames(data).length < 1; i++) await sleep(10);
    const untrusted = await createChannel("siem", { type: "syslog", address }, opts)
      .send(alert)
      .catch((e: unknown) => e);
    server.close();
    expect(parse(frames(data)[0]!).params.id).toBe(alert.id);
    expect((untrusted as AirbagError).code).toBe("NETWORK");
  });

  it("unix: a datagram to a SOCK_DGRAM socket like /dev/log", async () => {
    const path = join(dir, "log.sock");
    // Node cannot bind unix datagram sockets: the receiver is perl (Essential on Debian)
    const receiver = spawn("perl", [
      "-MSocket",
      "-e",
      'socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die; bind($s, pack_sockaddr_un($ARGV[0])) or die "$!"; $| = 1; recv($s, my $m, 65535, 0); print $m;',
      path,
    ]);
    const exited = once(receiver, "exit");
    let out = "";
    receiver.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    for (let i = 0; i < 100; i++) {
      if (await stat(path).catch(() => undefined)) break;
      await sleep(10);
    }
    try {
      await createChannel("local", { type: "syslog", address: `unix://${path}` }, opts).send(alert);
      await exited;
    } finally {
      if (receiver.exitCode === null) receiver.kill();
    }
    expect(parse(out).params.id).toBe(alert.id);
  });

  it("unix: a newline-terminated line to a stream socket", async () => {
    const path = join(dir, "stream.sock");
    let data = "";
    const server = createNetServer((s) => s.on("data", (c: Buffer) => (data += c.toString("utf8"))));
    server.listen(path);
    await once(server, "listening");
    await createChannel("local", { type: "syslog", address: `unix://${path}` }, opts).send(alert);
    for (let i = 0; i < 50 && !data.endsWith("\n"); i++) await sleep(10);
    server.close();
    expect(data.endsWith("\n")).toBe(true);
    expect(parse(data.slice(0, -1)).params.rule).toBe(alert.rule);
  });

  it("fails with a NETWORK error naming the channel when nobody listens (tcp)", async () => {
    const port = await freePort();
    const err = await createChannel("siem", { type: "syslog", address: `tcp://127.0.0.1:${port}` }, opts)
      .send(alert)
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `channel siem: syslog tcp://127.0.0.1:${port}: ECONNREFUSED (2 attempts)`,
    );
  });

  it("refuses bad addresses naming the field", () => {
    expect(() => createChannel("siem", { type: "syslog", address: "unix://relative.sock" })).toThrow(
      /^channels\.siem\.address: /,
    );
    expect(() => createChannel("siem", { type: "syslog", address: "http://x" })).toThrow(
      /^channels\.siem\.address: /,
    );
  });
});
