import type { Severity } from "../../model/index.js";

/**
 * The image misconfiguration checks, as data: what fires, how bad it is, and where the rule comes
 * from. Ids are dockle's (CIS-DI-*, DKL-*) where dockle has the check, so `.dockleignore`-style lists
 * carry over; the rest are AB-DI-* (image config/history) and AB-LI-* (files).
 *
 * Severities are chosen so that a plain distribution base image (debootstrap'd Debian 12: setuid
 * su/passwd/mount, apt lists and .debs left by debootstrap) stays below `--fail-on high`: those facts
 * are true and reported, but they are the distro's defaults, not a builder's mistake.
 */
export interface MisconfigCheck {
  id: string;
  severity: Severity;
  title: string;
  description: string;
  references: readonly string[];
}

const check = <K extends string>(c: Record<K, MisconfigCheck>): Record<K, MisconfigCheck> => c;

export const CHECKS = check({
  rootUser: {
    id: "CIS-DI-0001",
    severity: "medium",
    title: "Image runs as root",
    description:
      "config.User is empty or root: a code-execution bug in the container is root in the container.",
    references: ["CIS Docker Benchmark 4.1", "dockle CIS-DI-0001", "hadolint DL3002"],
  },
  noHealthcheck: {
    id: "CIS-DI-0006",
    severity: "low",
    title: "No HEALTHCHECK in the image",
    description: "Without a HEALTHCHECK the engine cannot tell a hung service from a working one.",
    references: ["CIS Docker Benchmark 4.6", "dockle CIS-DI-0006"],
  },
  updateAlone: {
    id: "CIS-DI-0007",
    severity: "low",
    title: "Package index updated without installing in the same layer",
    description:
      "`apt-get update` in its own RUN is cached: later installs use a stale index and miss security updates.",
    references: ["CIS Docker Benchmark 4.7", "dockle CIS-DI-0007"],
  },
  setuid: {
    id: "CIS-DI-0008",
    severity: "low",
    title: "setuid/setgid files",
    description:
      "setuid/setgid programs run with their owner's rights; each is a privilege-escalation path. Distros ship a few (su, passwd, mount); remove those the container does not need (`chmod u-s`).",
    references: ["CIS Docker Benchmark 4.8", "dockle CIS-DI-0008"],
  },
  setuidUnusual: {
    id: "CIS-DI-0008",
    severity: "medium",
    title: "setuid/setgid files outside the system binary directories",
    description:
      "A setuid/setgid file in an application, home or temporary directory is not from a distro package and deserves a look.",
    references: ["CIS Docker Benchmark 4.8", "dockle CIS-DI-0008"],
  },
  addUrl: {
    id: "CIS-DI-0009",
    severity: "medium",
    title: "ADD from a URL in the image history",
    description: "ADD <url> downloaded content at build time without verifying it.",
    references: ["CIS Docker Benchmark 4.9", "dockle CIS-DI-0009"],
  },
  secretKeys: {
    id: "CIS-DI-0010",
    severity: "high",
    title: "Credential-like variable in the image config",
    description:
      "ENV values and labels are stored in the image config, and build args used by RUN in its history: anyone who can pull the image can read them. Values are not shown here; the secret scanner judges them.",
    references: ["CIS Docker Benchmark 4.10", "dockle CIS-DI-0010", "hadolint DL3064"],
  },
  sudoUsed: {
    id: "DKL-DI-0001",
    severity: "medium",
    title: "sudo used in a build step",
    description: "A RUN step ran sudo, so sudo is (or was) in the image.",
    references: ["dockle DKL-DI-0001", "hadolint DL3004"],
  },
  apkCache: {
    id: "DKL-DI-0004",
    severity: "low",
    title: "apk cache left in the image",
    description: "Files under /var/cache/apk: use `apk add --no-cache`.",
    references: ["dockle DKL-DI-0004", "hadolint DL3019"],
  },
  aptCache: {
    id: "DKL-DI-0005",
    severity: "low",
    title: "apt package lists or .deb files left in the image",
    description:
      "/var/lib/apt/lists and /var/cache/apt add size and go stale; end the install RUN with `rm -rf /var/lib/apt/lists/*` and `apt-get clean`.",
    references: ["dockle DKL-DI-0005", "hadolint DL3009"],
  },
  latestTag: {
    id: "DKL-DI-0006",
    severity: "low",
    title: "Image referenced by the latest tag (or no tag)",
    description: "`:latest` names whatever was pushed last; scan and deploy a version tag or digest.",
    references: ["dockle DKL-DI-0006", "hadolint DL3007"],
  },
  emptyPassword: {
    id: "DKL-LI-0001",
    severity: "high",
    title: "Account with an empty password",
    description:
      "An empty password field lets anyone log in or `su` to the account without a password (compare CVE-2019-5021, Alpine's null root password).",
    references: ["dockle DKL-LI-0001", "https://nvd.nist.gov/vuln/detail/CVE-2019-5021"],
  },
  duplicateIds: {
    id: "DKL-LI-0002",
    severity: "medium",
    title: "Duplicate UID or GID",
    description:
      "Two accounts (or groups) with one id share every file and privilege; one is usually a leftover.",
    references: ["dockle DKL-LI-0002"],
  },
  leftoverDirs: {
    id: "DKL-LI-0003",
    severity: "low",
    title: "Development or credential directories left in the image",
    description:
      "`.git` ships source history (and sometimes tokens in its config); `.aws`, `.ssh`, `.docker` hold credentials. Exclude them with .dockerignore.",
    references: ["dockle DKL-LI-0003"],
  },
  remoteScript: {
    id: "AB-DI-0001",
    severity: "medium",
    title: "Remote script piped into a shell during the build",
    description: "A history step ran `curl … | sh` (or similar): unverified code ran at build time.",
    references: ["CIS Docker Benchmark 4.11", "airbag AB1003 (Dockerfile)"],
  },
  sshServer: {
    id: "AB-DI-0002",
    severity: "medium",
    title: "SSH server in the image",
    description: "sshd installed, started, or port 22 exposed: use `docker exec` instead of an SSH server.",
    references: ["CIS Docker Benchmark 5.7", "airbag AB1005 (Dockerfile)"],
  },
  sudoInstalled: {
    id: "AB-DI-0003",
    severity: "medium",
    title: "sudo installed",
    description: "sudo in a container is a ready-made escalation path for any user listed in sudoers.",
    references: ["dockle DKL-DI-0001", "hadolint DL3004"],
  },
  packageCache: {
    id: "AB-DI-0004",
    severity: "low",
    title: "Language or RPM package manager cache left in the image",
    description: "pip / npm / yarn / dnf / yum caches add size and serve no purpose at run time.",
    references: ["hadolint DL3042", "hadolint DL3060", "hadolint DL3032"],
  },
  worldWritable: {
    id: "AB-LI-0001",
    severity: "high",
    title: "World-writable files in system directories",
    description:
      "Any user in the container can rewrite these files — binaries, libraries or configuration that root later runs or reads.",
    references: ["CIS Docker Benchmark 4.8", "https://cwe.mitre.org/data/definitions/732.html"],
  },
});

export type CheckName = keyof typeof CHECKS;

/** "a, b, c … (+7 more; 10 in total)" — evidence lists a sample, never thousands of paths. */
export function sample(items: readonly string[], max = 10): string {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")} … (+${items.length - max} more; ${items.length} in total)`;
}
