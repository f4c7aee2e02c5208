import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { debianRootfs, debianRootfsSkipReason } from "../../../test/support/debian-rootfs.js";
import type { ContentHit } from "../detector.js";
import { createSecretScanner } from "./scanner.js";
import { fake, scanText, UPPER32 } from "./secret.testutil.js";

/**
 * A real Debian 12 (debootstrap --variant=minbase) root filesystem, every regular file streamed through
 * the secret scanner the way the image walker does it (256 KiB chunks): a clean distribution must yield
 * nothing. libgnutls carries GnuTLS's self-test keys, which the pack lets pass by fingerprint.
 */

const skip = debianRootfsSkipReason();
const CHUNK = 256 * 1024;

function* regularFiles(root: string, dir = root): Generator<[string, number, number]> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = lstatSync(full);
    if (st.isDirectory()) yield* regularFiles(root, full);
    else if (st.isFile()) yield [relative(root, full), st.size, st.mode];
  }
}

describe.skipIf(skip !== undefined)(
  `secrets in a real Debian 12 rootfs${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    it("finds nothing in a clean Debian 12, having read every file", async () => {
      const root = await debianRootfs();
      const scanner = createSecretScanner();
      const buf = Buffer.allocUnsafe(CHUNK);
      const findings: (ContentHit & { path: string })[] = [];
      let files = 0;
      let bytes = 0;
      for (const [path, size, mode] of regularFiles(root)) {
        if (!scanner.wants(path, size, mode)) continue;
        const consumer = scanner.consume(path, size, mode);
        const fd = openSync(join(root, path), "r");
        try {
          for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) {
            bytes += n;
            if (!consumer.write(buf.subarray(0, n))) break;
          }
        } finally {
          closeSync(fd);
        }
        for (const hit of consumer.end()) findings.push({ path, ...hit });
        files++;
      }
      expect(findings).toEqual([]);
      expect(files).toBeGreaterThan(3000);
      expect(bytes).toBeGreaterThan(100e6);
    }, 120_000);

    it("still finds a key planted in a real Debian file", async () => {
      const root = await debianRootfs();
      const bashrc = readFileSync(join(root, "etc/bash.bashrc"), "utf8");
      const lines = bashrc.split("\n").length;
      const planted = `${bashrc}export AWS_ACCESS_KEY_ID=AKIA${fake(UPPER32, 16, 99)}\n`;
      expect(scanText("etc/bash.bashrc", planted)).toMatchObject([{ id: "aws-access-key-id", line: lines }]);
    });
  },
);
