import { describe, expect, it } from "vitest";
import { LayerPrefetcher } from "./prefetch.js";

/** A layer source that records how far it was read and whether it was released. */
function source(chunks: number, chunkSize: number, failAt?: number) {
  const state = { pulled: 0, released: false, started: false };
  async function* gen(): AsyncGenerator<Buffer> {
    state.started = true;
    try {
      for (let i = 0; i < chunks; i++) {
        if (i === failAt) throw new Error("connection dropped");
        state.pulled += chunkSize;
        yield Buffer.alloc(chunkSize, i);
      }
    } finally {
      state.released = true;
    }
  }
  return { state, gen };
}

async function drain(it: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const c of it) n += c.length;
  return n;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe("LayerPrefetcher", () => {
  it("hands out every layer whole, in order, fetching the next ones while one is read", async () => {
    const layers = [source(4, 1000), source(5, 1000), source(6, 1000)];
    const opened: number[] = [];
    const p = new LayerPrefetcher(
      3,
      async (i) => {
        opened.push(i);
        return layers[i]!.gen();
      },
      { depth: 2, bufferBytes: 1 << 20 },
    );
    const first = await p.open(0);
    await tick();
    expect(opened).toEqual([0, 1, 2]);
    expect(layers[2]!.state.pulled).toBe(6000); // read ahead into memory
    expect(await drain(first)).toBe(4000);
    expect(await drain(await p.open(1))).toBe(5000);
    expect(await drain(await p.open(2))).toBe(6000);
    expect(opened).toEqual([0, 1, 2]);
    p.close();
  });

  it("buffers at most about bufferBytes ahead of the reader", async () => {
    const layers = [source(1, 10), source(100, 64 << 10)];
    const p = new LayerPrefetcher(2, async (i) => layers[i]!.gen(), { depth: 1, bufferBytes: 256 << 10 });
    await p.open(0);
    await tick();
    expect(layers[1]!.state.pulled).toBeLessThanOrEqual((256 + 128) << 10);
    expect(await drain(await p.open(1))).toBe(100 * (64 << 10));
    p.close();
  });

  it("keeps a prefetched layer's failure for when the walker reads it", async () => {
    const layers = [source(1, 10), source(5, 100, 2)];
    const p = new LayerPrefetcher(2, async (i) => layers[i]!.gen(), { depth: 1, bufferBytes: 1 << 20 });
    await drain(await p.open(0));
    await tick();
    await expect(drain(await p.open(1))).rejects.toThrow("connection dropped");
    p.close();
  });

  it("releases running downloads on close", async () => {
    const layers = [source(1, 10), source(1000, 64 << 10)];
    const p = new LayerPrefetcher(2, async (i) => layers[i]!.gen(), { depth: 1, bufferBytes: 64 << 10 });
    await p.open(0);
    await tick();
    expect(layers[1]!.state.started).toBe(true);
    p.close();
    await tick();
    expect(layers[1]!.state.released).toBe(true);
    expect(layers[1]!.state.pulled).toBeLessThan(1000 * (64 << 10));
  });
});
