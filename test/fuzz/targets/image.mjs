import { chunks, cleanAirbagError, load } from "./common.mjs";

const { readTar } = await load("image/tar.js");
const { decompressed, newTap } = await load("image/decompress.js");

// small limits so a mutated bomb is refused quickly instead of inflating for seconds
const LIMITS = {
  maxLayerBytes: 64 * 2 ** 20,
  ratioAfterBytes: 2 ** 20,
  maxRatio: 500,
  zstdWindowsAfterBytes: 64 * 2 ** 20,
};

/** Reads every entry body, like the walker's capture does. */
async function untar(source) {
  await readTar(
    source,
    () => ({
      data() {},
      end() {},
    }),
    "fuzz.tar",
  );
}

async function drain(buf) {
  for await (const _ of decompressed(chunks(buf), "fuzz-layer", newTap(), newTap(), LIMITS));
}

/** Image-layer parsers: clean failure = AirbagError (INPUT) naming the layer. */
export const targets = [
  {
    name: "tar",
    corpus: "tar",
    kind: "bytes",
    clean: cleanAirbagError,
    run: (buf) => untar(chunks(buf, 1000)),
  },
  { name: "gzip", corpus: "gzip", kind: "bytes", clean: cleanAirbagError, run: drain },
  { name: "zstd", corpus: "zstd", kind: "bytes", clean: cleanAirbagError, run: drain },
  {
    // the layer pipeline as the walker runs it: decompress, then untar
    name: "gzip-tar",
    corpus: "gzip",
    kind: "bytes",
    clean: cleanAirbagError,
    seedsMayFail: true,
    run: (buf) => untar(decompressed(chunks(buf), "fuzz-layer", newTap(), newTap(), LIMITS)),
  },
];

/**
 * Inputs the fuzzer found (test/fuzz/regressions/<corpus>/), replayed unmodified and then mutated:
 * zstd/many-2mib-window-frames.zst — 2.6 KB of tiny frames each declaring a 2 MiB window: fzstd
 * allocated and shifted a window per frame, > 7 s of CPU for one small layer; one-1920mib-window-frame
 * — 14 bytes costing ~10 s. Both are now refused up front by image/zstd-frames.ts.
 */
export const regressions = [
  {
    name: "regression-zstd",
    corpus: "zstd",
    regression: true,
    kind: "bytes",
    clean: cleanAirbagError,
    seedsMayFail: true,
    run: drain,
  },
];
targets.push(...regressions);
