import { createServer, type IncomingMessage, request, type Server } from "node:http";

/**
 * A loopback HTTP proxy in front of a registry that drops the connection after exactly N body bytes
 * of the requests a test picks (test/support/registry-proxy.ts can only cut at half). `cutAfter`
 * answers N for a request, or undefined to pass it through whole.
 */

export interface CuttingProxy {
  address: string;
  /** "METHOD URL" of every request, with " cut@N" when it was cut */
  seen: string[];
  close(): Promise<void>;
}

export async function startCuttingProxy(
  upstream: { host: string; port: number },
  cutAfter: (req: IncomingMessage) => number | undefined,
): Promise<CuttingProxy> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const cut = req.method === "GET" ? cutAfter(req) : undefined;
    seen.push(`${req.method} ${req.url}${cut === undefined ? "" : ` cut@${cut}`}`);
    const up = request(
      { host: upstream.host, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        if (cut === undefined) return void ur.pipe(res);
        let sent = 0;
        const drop = () => {
          ur.destroy();
          res.socket?.destroy();
        };
        if (cut === 0) {
          res.flushHeaders();
          return void setImmediate(drop);
        }
        ur.on("data", (c: Buffer) => {
          const room = cut - sent;
          if (room <= 0) return;
          sent += Math.min(c.length, room);
          // the last bytes reach the socket before the connection goes
          res.write(c.subarray(0, room), () => {
            if (sent >= cut) drop();
          });
        });
      },
    );
    up.on("error", () => res.socket?.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
