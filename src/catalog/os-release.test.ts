import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectOs, osReleaseFiles, parseOsRelease } from "./os-release.js";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/os-release");

/** A reader over a fixture root filesystem that only offers the files the walker would capture. */
const rootfs =
  (dir: string) =>
  (path: string): Buffer | undefined => {
    if (!osReleaseFiles(path)) return undefined;
    const p = join(dir, path);
    return existsSync(p) ? readFileSync(p) : undefined;
  };

const detect = (name: string) => detectOs(rootfs(join(FIXTURES, name)));

describe("osReleaseFiles", () => {
  it("matches the release files and nothing else", () => {
    for (const p of ["etc/os-release", "usr/lib/os-release", "etc/alpine-release", "etc/debian_version"]) {
      expect(osReleaseFiles(p)).toBe(true);
    }
    for (const p of ["etc/SuSE-release", "etc/azurelinux-release", "etc/lsb-release", "etc/system-release"]) {
      expect(osReleaseFiles(p)).toBe(true);
    }
    for (const p of ["/etc/os-release", "etc/os-release.bak", "foo/etc/os-release", "etc/issue"]) {
      expect(osReleaseFiles(p)).toBe(false);
    }
  });
});

describe("parseOsRelease", () => {
  it("handles quotes, escapes and comments", () => {
    const kv = parseOsRelease(
      [
        "# comment",
        'A="double \\"quoted\\" \\$HOME"',
        "B='single $x \\n'",
        "C=bare\\ word",
        "  D = not-an-assignment",
        "E=value # trailing comment",
        'F="a\\b"',
        "G=",
        "H=x\r",
      ].join("\n"),
    );
    expect(kv).toEqual({
      A: 'double "quoted" $HOME',
      B: "single $x \\n",
      C: "bare word",
      E: "value",
      F: "a\\b",
      G: "",
      H: "x",
    });
  });
});

describe("detectOs with os-release", () => {
  it.each([
    [
      "debian-12",
      {
        family: "debian",
        version: "12",
        codename: "bookworm",
        prettyName: "Debian GNU/Linux 12.4 (bookworm)",
        ecosystem: "Debian:12",
      },
    ],
    [
      "debian-8",
      {
        family: "debian",
        version: "8",
        codename: "jessie",
        prettyName: "Debian GNU/Linux 8.11 (jessie)",
        ecosystem: "Debian:8",
      },
    ],
    [
      "debian-trixie",
      {
        family: "debian",
        codename: "trixie",
        prettyName: "Debian GNU/Linux trixie/sid",
        ecosystem: "Debian:13",
      },
    ],
    [
      "distroless-debian12",
      {
        family: "debian",
        version: "12",
        codename: "bookworm",
        prettyName: "Distroless 12.5",
        ecosystem: "Debian:12",
      },
    ],
    [
      "ubuntu-22.04",
      {
        family: "ubuntu",
        version: "22.04",
        codename: "jammy",
        prettyName: "Ubuntu 22.04.3 LTS",
        ecosystem: "Ubuntu:22.04:LTS",
      },
    ],
    [
      "ubuntu-23.10",
      {
        family: "ubuntu",
        version: "23.10",
        codename: "mantic",
        prettyName: "Ubuntu 23.10",
        ecosystem: "Ubuntu:23.10",
      },
    ],
    [
      "alpine-3.19",
      { family: "alpine", version: "3.19.1", prettyName: "Alpine Linux v3.19", ecosystem: "Alpine:v3.19" },
    ],
    ["wolfi", { family: "wolfi", version: "20230201", prettyName: "Wolfi", ecosystem: "Wolfi" }],
    [
      "chainguard",
      { family: "chainguard", version: "20230214", prettyName: "Chainguard", ecosystem: "Chainguard" },
    ],
    [
      "rhel-9",
      {
        family: "rhel",
        version: "9.3",
        prettyName: "Red Hat Enterprise Linux 9.3 (Plow)",
        ecosystem: "Red Hat",
      },
    ],
    ["centos-7", { family: "centos", version: "7", prettyName: "CentOS Linux 7 (Core)" }],
    [
      "rocky-9",
      {
        family: "rocky",
        version: "9.3",
        prettyName: "Rocky Linux 9.3 (Blue Onyx)",
        ecosystem: "Rocky Linux:9",
      },
    ],
    [
      "almalinux-9",
      {
        family: "almalinux",
        version: "9.3",
        prettyName: "AlmaLinux 9.3 (Shamrock Pearl Jaguar)",
        ecosystem: "AlmaLinux:9",
      },
    ],
    ["fedora-39", { family: "fedora", version: "39", prettyName: "Fedora Linux 39 (Container Image)" }],
    ["amzn-2023", { family: "amzn", version: "2023", prettyName: "Amazon Linux 2023" }],
    ["ol-9", { family: "ol", version: "9.3", prettyName: "Oracle Linux Server 9.3" }],
    [
      "sles-15.5",
      {
        family: "sles",
        version: "15.5",
        prettyName: "SUSE Linux Enterprise Server 15 SP5",
        ecosystem: "SUSE:Linux Enterprise Server 15 SP5",
      },
    ],
    [
      "opensuse-leap-15.5",
      {
        family: "opensuse-leap",
        version: "15.5",
        prettyName: "openSUSE Leap 15.5",
        ecosystem: "openSUSE:Leap 15.5",
      },
    ],
    // OSV has no Mariner ecosystem (ossf/osv-schema ecosystems.json); Azure Linux is its successor
    ["mariner-2", { family: "mariner", version: "2.0", prettyName: "CBL-Mariner/Linux" }],
    [
      "azurelinux-3",
      {
        family: "azurelinux",
        version: "3.0",
        prettyName: "Microsoft Azure Linux 3.0",
        ecosystem: "Azure Linux:3.0",
      },
    ],
    [
      "photon-5",
      { family: "photon", version: "5.0", prettyName: "VMware Photon OS/Linux", ecosystem: "Photon OS:5.0" },
    ],
  ])("%s", (name, expected) => {
    expect(detect(name)).toEqual(expected);
  });

  it("detects this machine's own OS consistently with its release files", () => {
    const read = (p: string) =>
      osReleaseFiles(p) && existsSync(`/${p}`) ? readFileSync(`/${p}`) : undefined;
    const info = detectOs(read);
    const kv = parseOsRelease(
      readFileSync(existsSync("/etc/os-release") ? "/etc/os-release" : "/usr/lib/os-release", "utf8"),
    );
    expect(info?.family).toBe(kv.ID);
    if (kv.ID === "debian" && kv.VERSION_ID) expect(info?.ecosystem).toBe(`Debian:${kv.VERSION_ID}`);
  });
});

describe("detectOs without os-release (older images)", () => {
  it.each([
    [
      "centos-6",
      { family: "centos", version: "6.10", codename: "Final", prettyName: "CentOS release 6.10 (Final)" },
    ],
    ["alpine-3.2", { family: "alpine", version: "3.2.3", ecosystem: "Alpine:v3.2" }],
    [
      "ubuntu-14.04-lsb",
      {
        family: "ubuntu",
        version: "14.04",
        codename: "trusty",
        prettyName: "Ubuntu 14.04.6 LTS",
        ecosystem: "Ubuntu:14.04:LTS",
      },
    ],
    [
      "debian-7-noosr",
      {
        family: "debian",
        version: "7",
        codename: "wheezy",
        prettyName: "Debian GNU/Linux 7.11",
        ecosystem: "Debian:7",
      },
    ],
    ["amzn-2018", { family: "amzn", version: "2018.03", prettyName: "Amazon Linux AMI release 2018.03" }],
    [
      "sles-12.3",
      {
        family: "sles",
        version: "12.3",
        prettyName: "SUSE Linux Enterprise Server 12 SP3",
        ecosystem: "SUSE:Linux Enterprise Server 12 SP3",
      },
    ],
  ])("%s", (name, expected) => {
    expect(detect(name)).toEqual(expected);
  });

  it("mariner-release and redhat-release alone", () => {
    const files: Record<string, string> = {
      "etc/mariner-release": "CBL-Mariner 2.0.20240123\nMARINER_BUILD_NUMBER=abc\n",
    };
    expect(detectOs((p) => (files[p] ? Buffer.from(files[p]) : undefined))).toMatchObject({
      family: "mariner",
      version: "2.0",
    });
    const rh: Record<string, string> = { "etc/redhat-release": "Rocky Linux release 8.9 (Green Obsidian)\n" };
    expect(detectOs((p) => (rh[p] ? Buffer.from(rh[p]) : undefined))).toEqual({
      family: "rocky",
      version: "8.9",
      codename: "Green Obsidian",
      prettyName: "Rocky Linux release 8.9 (Green Obsidian)",
      ecosystem: "Rocky Linux:8",
    });
  });

  it("returns undefined for an image without release files", () => {
    expect(detectOs(() => undefined)).toBeUndefined();
  });

  it("prefers etc/os-release over usr/lib/os-release", () => {
    const files: Record<string, string> = {
      "etc/os-release": "ID=alpine\nVERSION_ID=3.18.4\n",
      "usr/lib/os-release": "ID=debian\nVERSION_ID=11\n",
    };
    expect(detectOs((p) => (files[p] ? Buffer.from(files[p]) : undefined))?.ecosystem).toBe("Alpine:v3.18");
  });
});

describe("robustness", () => {
  it("parseOsRelease and detectOs never throw on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), fc.string(), (osr, deb, rh) => {
        parseOsRelease(osr);
        const files: Record<string, string> = {
          "etc/os-release": osr,
          "etc/debian_version": deb,
          "etc/redhat-release": rh,
          "etc/SuSE-release": rh,
        };
        const info = detectOs((p) => (files[p] !== undefined ? Buffer.from(files[p]) : undefined));
        if (info) expect(typeof info.family).toBe("string");
      }),
      { numRuns: 500 },
    );
  });

  it("a throwing reader yields undefined instead of an exception", () => {
    expect(
      detectOs(() => {
        throw new Error("boom");
      }),
    ).toBeUndefined();
  });
});
