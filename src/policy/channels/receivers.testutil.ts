import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selfSignedCert as certFiles } from "../../../test/support/registry.js";
import type { AlertMessage } from "../../model/policy.js";

/** Real receivers on 127.0.0.1 for the channel tests, and a sample alert. */

export function sampleAlert(over: Partial<AlertMessage> = {}): AlertMessage {
  return {
    id: "3f1c9a52-8d2e-4c1b-9a57-2b6e0f4d7c11",
    event: "detection",
    rule: "isolate-miners",
    mode: "enforce",
    detector: "cryptominer",
    detection: "miner.stratum",
    severity: "critical",
    container: { id: "4b825dc642cb6eb9a060e54bf8d69288fbee4904", name: "web", image: "nginx:1" },
    evidence: "xmrig -o stratum+tcp://127.0.0.1:3333",
    actions: [{ type: "isolate", status: "done", detail: "disconnected from podman" }],
    summary: "[critical] cryptominer in web (nginx:1): stratum URL in argv",
    count: 1,
    time: "2026-11-29T08:00:00.000Z",
    host: "node-1",
    ...over,
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** the exact bytes received */
  raw: Buffer;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** never answer (timeout tests) */
  hang?: boolean;
}

export interface HttpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** arrival times (ms) of each request */
  times: number[];
  close(): Promise<void>;
}

/** An HTTP server answering request N (1-based) with `reply(N)`. */
export async function startHttpReceiver(
  reply: (n: number, req: ReceivedRequest) => Reply = () => ({ status: 200 }),
  port = 0,
): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const times: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        raw: Buffer.concat(chunks),
      };
      requests.push(r);
      times.push(performance.now());
      const answer = reply(requests.length, r);
      if (answer.hang) return;
      res.writeHead(answer.status, answer.headers).end(answer.status >= 400 ? "nope" : "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/hook`,
    port: actual,
    requests,
    times,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, noted, released). */
export async function freePort(): Promise<number> {
  const r = await startHttpReceiver();
  await r.close();
  return r.port;
}

export interface TestCert {
  key: Buffer;
  cert: Buffer;
  cleanup(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1, loaded. */
export async function selfSignedCert(): Promise<TestCert> {
  const dir = await mkdtemp(join(tmpdir(), "airbag-cert-"));
  const { keyFile, certFile } = await certFiles(dir, "tls", "/CN=127.0.0.1", [
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  return {
    key: await readFile(keyFile),
    cert: await readFile(certFile),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
