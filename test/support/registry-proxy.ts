import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { RunningRegistry } from "./registry.js";

/**
 * A loopback HTTP proxy in front of a test registry whose answers a test can bend request by request:
 * pass through, cut a body in half (truncated download), or answer itself (errors, auth challenges,
 * manifests the registry would not store).
 */

export type ProxyAction =
  | "pass"
  | "truncate"
  | { status: number; headers?: Record<string, string>; body?: string };

export async function startProxy(
  upstream: RunningRegistry,
  decide: (req: IncomingMessage) => ProxyAction,
): Promise<{ address: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const action = decide(req);
    seen.push(`${req.method} ${req.url} ${typeof action === "string" ? action : action.status}`);
    if (typeof action === "object") {
      res.writeHead(action.status, action.headers ?? {});
      res.end(action.body ?? "");
      return;
    }
    const up = request(
      { host: upstream.host, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        if (action === "pass") {
          ur.pipe(res);
          return;
        }
        // send half the body the Content-Length promises, then drop the connection
        const total = Number(ur.headers["content-length"] ?? 0);
        let sent = 0;
        ur.on("data", (c: Buffer) => {
          const room = Math.floor(total / 2) - sent;
          if (room > 0) res.write(c.subarray(0, room));
          sent += Math.min(c.length, Math.max(room, 0));
          if (sent >= Math.floor(total / 2)) {
            ur.destroy();
            res.socket?.destroy();
          }
        });
      },
    );
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { address: `127.0.0.1:${port}`, seen, server };
}
