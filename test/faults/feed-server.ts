import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A vulnerability-feed server on 127.0.0.1 for the fault tests: answers conditional requests with
 * ETags like a CDN and sends every body in small chunks with a pause between them, so a download lasts
 * long enough for a test to kill the client in the middle of it.
 */

export interface ThrottledFeedServer {
  base: string;
  /** publish (or replace) the body at a path (sent chunkBytes at a time); a new ETag each time */
  set(path: string, body: Buffer | string, chunkBytes?: number): void;
  /** requests answered so far, by path */
  hits: Map<string, number>;
  /** called after each chunk of a body is written: the path and the bytes sent of it so far */
  onSent?: (path: string, bytes: number) => void;
  stop(): Promise<void>;
}

export async function startFeedServer(o: {
  chunkBytes: number;
  chunkDelayMs: number;
}): Promise<ThrottledFeedServer> {
  const feeds = new Map<string, { body: Buffer; etag: string; chunkBytes: number }>();
  const hits = new Map<string, number>();
  let version = 0;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const feed = feeds.get(path);
    if (!feed) return void res.writeHead(404).end("not found");
    if (req.headers["if-none-match"] === feed.etag) return void res.writeHead(304).end();
    res.writeHead(200, { etag: feed.etag, "content-length": feed.body.length });
    let at = 0;
    const next = () => {
      if (res.destroyed) return;
      const end = Math.min(feed.body.length, at + feed.chunkBytes);
      res.write(feed.body.subarray(at, end));
      at = end;
      api.onSent?.(path, at);
      if (at >= feed.body.length) res.end();
      else setTimeout(next, o.chunkDelayMs);
    };
    next();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const api: ThrottledFeedServer = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set(path, body, chunkBytes = o.chunkBytes) {
      feeds.set(path, { body: Buffer.from(body), etag: `"v${++version}"`, chunkBytes });
    },
    hits,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return api;
}
