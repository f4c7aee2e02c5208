import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { debianRootfs, debianRootfsSkipReason } from "../../../test/support/debian-rootfs.js";
import { atLeast } from "../../match/severity.js";
import { createMisconfigFileScanner } from "./file-checks.js";
import { rootfsFiles, scanFiles } from "./scan-files.testutil.js";

const skip = debianRootfsSkipReason();

describe.skipIf(skip !== undefined)(
  `file checks on a real Debian 12 rootfs${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    it("report only what is true of plain Debian, none of it at --fail-on high", async () => {
      const root = await debianRootfs();
      const probe = createMisconfigFileScanner();
      const hits = await scanFiles(rootfsFiles(root, (p, mode) => probe.wants(p, 0, mode)));

      // debootstrap --variant=minbase: shadow-utils/util-linux setuid/setgid programs, and the package
      // lists and .debs debootstrap itself downloaded (an official debian:12 image has them removed)
      expect(hits.map((h) => h.id).sort()).toEqual(["CIS-DI-0008", "DKL-DI-0005"]);
      const setuid = hits.find((h) => h.id === "CIS-DI-0008");
      expect(setuid?.severity).toBe("low");
      // oracle: find(1) over the same tree
      const found = execFileSync("find", [".", "-xdev", "-type", "f", "-perm", "/6000"], {
        cwd: root,
        encoding: "utf8",
      })
        .split("\n")
        .filter(Boolean);
      expect(setuid?.evidence).toMatch(new RegExp(`^${found.length} file\\(s\\): `));
      for (const p of ["usr/bin/su", "usr/bin/passwd", "usr/bin/mount"])
        expect(setuid?.evidence).toContain(p);
      expect(hits.find((h) => h.id === "DKL-DI-0005")?.evidence).toMatch(/_Packages|\.deb/);
      expect(hits.filter((h) => atLeast(h.severity, "high"))).toEqual([]);
    });
  },
);
