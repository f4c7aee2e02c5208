import { PassThrough } from "node:stream";

/**
 * Parallel blob fetches without a disk cache: when the walker opens layer i, the downloads of the
 * next `depth` layers start too, each buffering at most `bufferBytes` in memory (a PassThrough's
 * high-water mark; past it, backpressure pauses the HTTP body and TCP flow control the server). The
 * walk stays sequential — layer order matters — but the network works while the CPU inflates.
 */

export interface PrefetchOptions {
  /** how many layers ahead to fetch; 0 disables */
  depth: number;
  bufferBytes: number;
}

type Open = (index: number) => Promise<AsyncIterable<Buffer>>;

interface Pending {
  stream: Promise<AsyncIterable<Buffer>>;
  abort(): void;
}

export class LayerPrefetcher {
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    private readonly count: number,
    private readonly fetch: Open,
    private readonly opts: PrefetchOptions,
  ) {}

  /** The stream of layer `index`, from a prefetch when one is running; starts the next ones. */
  open(index: number): Promise<AsyncIterable<Buffer>> {
    const ahead = this.pending.get(index);
    this.pending.delete(index);
    // the layer needed now goes first on the wire
    const current = ahead ? ahead.stream : this.fetch(index);
    for (let i = index + 1; !this.closed && i <= index + this.opts.depth && i < this.count; i++)
      if (!this.pending.has(i)) this.pending.set(i, this.start(i));
    return current;
  }

  private start(index: number): Pending {
    // the readable side holds the prefetched bytes; the writable side only passes them on
    const buffer = new PassThrough({
      readableHighWaterMark: this.opts.bufferBytes,
      writableHighWaterMark: 64 << 10,
    });
    // a download that fails before the walker reaches it keeps its error for the walker's read
    buffer.on("error", () => {});
    let aborted = false;
    const roomOrGone = () =>
      new Promise<void>((r) => {
        buffer.once("drain", r);
        buffer.once("close", r);
      });
    const pump = async (body: AsyncIterable<Buffer>) => {
      try {
        // leaving the loop early returns the body's iterator, which releases the HTTP connection
        for await (const chunk of body) {
          if (aborted || buffer.destroyed) break;
          // write() false: the buffer is full; wait for the walker to read (or to give up)
          if (!buffer.write(chunk)) await roomOrGone();
        }
        if (!aborted && !buffer.destroyed) buffer.end();
      } catch (err) {
        buffer.destroy(err as Error);
      }
    };
    const stream = this.fetch(index).then((body) => {
      void pump(body);
      return buffer as AsyncIterable<Buffer>;
    });
    // an early failure (404, auth) surfaces when the walker opens this layer, not before
    stream.catch(() => {});
    return {
      stream,
      abort: () => {
        aborted = true;
        buffer.destroy();
      },
    };
  }

  /** Drop every prefetch still running (the walk failed or finished). */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.abort();
    this.pending.clear();
  }
}
