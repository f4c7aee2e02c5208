/**
 * Deliberately broken parsers for the runner's own test: each must be reported as the failure kind it
 * stands for, or the runner would wave real bugs through.
 */
const crashOn = (buf) => buf.length % 3 === 0;
export const targets = [
  { name: "clean", corpus: "tar", kind: "bytes", clean: () => true, run: () => {} },
  {
    name: "throws-typeerror",
    corpus: "tar",
    kind: "bytes",
    clean: (e) => e instanceof RangeError,
    seedsMayFail: true,
    run: (buf) => {
      if (crashOn(buf)) throw new TypeError("cannot read properties of undefined");
      if (buf.length % 3 === 1) throw new RangeError("an expected rejection");
    },
  },
  {
    name: "sync-hang",
    corpus: "tar",
    kind: "bytes",
    clean: () => true,
    run: (buf) => {
      if (buf.length % 7 === 0) for (;;);
    },
  },
  {
    name: "leaks",
    corpus: "tar",
    kind: "bytes",
    clean: () => true,
    run: () => {
      globalThis.kept ??= [];
      for (let i = 0; i < 64; i++) globalThis.kept.push(new Array(1 << 16).fill(i));
    },
  },
];
