/**
 * Shared by the `airbag bench` format tests in src/report/: a realistic BenchReport of a Docker 18.09.1
 * host — checks from every section with every result kind (pass, warn, fail, info, skip), items for
 * users, files, images and containers, a malformed daemon.json, runtime components with runc 1.0.0-rc6,
 * CVE-2019-5736 and a containerd CVE as findings and a vendor-patched runc CVE as suppressed.
 */
import type { BenchReport, CheckResult } from "../../src/bench/types.js";
import type { VulnerabilityFinding } from "../../src/model/index.js";
import { type BenchRenderOptions, renderBench } from "../../src/report/bench-format.js";

export const NOW = new Date("2024-05-06T12:00:00Z");
export const BOPTS: BenchRenderOptions = { color: false, now: NOW, toolVersion: "0.1.0-test" };

export const RUNC_COMMIT = "96ec2177ae841256168fcf76954f7177af9446eb";
export const SUPPRESS_REASON =
  "vendor backport: runc 1.0.0~rc6+dfsg1-3 (Debian) carries the fix; debian-tracker marks it fixed";

/** A container name a hostile image or compose file could choose: markup, quotes, terminal escapes. */
export const HOSTILE_NAME = `"><script>alert('x')</script>\u001b[2J\u001b]0;owned\u0007&amp;\u0000`;

type Def = Omit<CheckResult, "items"> & { items?: CheckResult["items"] };
const c = (d: Def): CheckResult => ({ ...d, items: d.items ?? [] });

const CHECKS: CheckResult[] = [
  // 1 host
  c({
    id: "1.1.1",
    title: "Ensure a separate partition for containers has been created",
    section: "host",
    level: 2,
    scored: true,
    severity: "low",
    remediation: "Create a separate partition for /var/lib/docker (LVM makes this easy to grow).",
    result: "pass",
    evidence: "/var/lib/docker is mounted from /dev/sdb1 (ext4)",
  }),
  c({
    id: "1.1.2",
    title: "Ensure only trusted users are allowed to control Docker daemon",
    section: "host",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: "Remove untrusted users from the docker group: gpasswd -d USER docker.",
    result: "warn",
    evidence: "docker group has 2 members: alice, mallory",
    items: [
      { subject: "alice", result: "info", evidence: "member of docker (review)" },
      { subject: "mallory", result: "warn", evidence: "member of docker (review)" },
    ],
  }),
  c({
    id: "1.1.3",
    title: "Ensure auditing is configured for the Docker daemon",
    section: "host",
    level: 2,
    scored: true,
    severity: "low",
    remediation: "Add `-w /usr/bin/dockerd -k docker` to /etc/audit/rules.d/docker.rules and reload auditd.",
    result: "fail",
    evidence: "no audit rule watches /usr/bin/dockerd",
    items: [{ subject: "/usr/bin/dockerd", result: "fail", evidence: "no -w rule in 14 audit rules" }],
  }),
  c({
    id: "1.2.1",
    title: "Ensure the container host has been Hardened",
    section: "host",
    level: 1,
    scored: false,
    severity: "unknown",
    remediation: "Follow a host hardening guide (CIS Distribution Independent Linux, grsecurity).",
    result: "info",
    evidence: "Manual: review the host's hardening",
  }),
  c({
    id: "1.2.2",
    title: "Ensure that the version of Docker is up to date",
    section: "host",
    level: 1,
    scored: false,
    severity: "high",
    remediation:
      "Upgrade the engine, runc/crun and containerd to releases that fix the listed vulnerabilities (distro security updates count).",
    result: "fail",
    evidence: "2 known vulnerabilities: runc CVE-2019-5736; containerd CVE-2020-15257",
    items: [
      { subject: "runc 1.0.0-rc6", result: "fail", evidence: "CVE-2019-5736 (high), fixed in 1.0.0-rc7" },
      { subject: "containerd 1.2.2", result: "fail", evidence: "CVE-2020-15257 (medium), fixed in 1.3.9" },
    ],
  }),
  // 2 daemon
  c({
    id: "2.2",
    title: "Ensure network traffic is restricted between containers on the default bridge",
    section: "daemon",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: 'Set "icc": false in /etc/docker/daemon.json and restart the daemon.',
    result: "fail",
    evidence: "icc is true (default: not set in daemon.json or flags)",
  }),
  c({
    id: "2.5",
    title: "Ensure insecure registries are not used",
    section: "daemon",
    level: 1,
    scored: true,
    severity: "high",
    remediation: 'Remove entries from "insecure-registries" and use TLS for every registry.',
    result: "pass",
    evidence: "only the built-in 127.0.0.0/8 (from /info)",
    otherIds: { "1.2.0": "2.4" },
  }),
  c({
    id: "2.6",
    title: "Ensure aufs storage driver is not used",
    section: "daemon",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: "Use overlay2.",
    result: "skip",
    evidence: "storage driver unknown: /info not available",
  }),
  c({
    id: "2.9",
    title: "Enable user namespace support",
    section: "daemon",
    level: 2,
    scored: true,
    severity: "medium",
    remediation: 'Set "userns-remap": "default" in daemon.json (needs /etc/subuid and /etc/subgid entries).',
    result: "fail",
    evidence: "userns-remap is not set",
  }),
  c({
    id: "2.14",
    title: "Ensure containers are restricted from acquiring new privileges",
    section: "daemon",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: 'Set "no-new-privileges": true once in /etc/docker/daemon.json.',
    result: "warn",
    evidence:
      '/etc/docker/daemon.json:7:3: duplicate key "no-new-privileges" (true, then false); the daemon refuses to start',
    otherIds: { "1.2.0": "2.18" },
  }),
  c({
    id: "2.15",
    title: "Ensure live restore is enabled",
    section: "daemon",
    level: 1,
    scored: true,
    severity: "low",
    remediation: 'Set "live-restore": true in daemon.json.',
    result: "pass",
    evidence: "live-restore: true (daemon.json)",
  }),
  // 3 files
  c({
    id: "3.1",
    title: "Ensure that the docker.service file ownership is set to root:root",
    section: "files",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: "chown root:root /lib/systemd/system/docker.service",
    result: "pass",
    evidence: "root:root",
    items: [{ subject: "/lib/systemd/system/docker.service", result: "pass", evidence: "root:root" }],
  }),
  c({
    id: "3.13",
    title: "Ensure that the Docker server certificate key file permissions are set to 400",
    section: "files",
    level: 1,
    scored: true,
    severity: "high",
    remediation: "chmod 400 on the file named by tlskey",
    result: "skip",
    evidence: "no tlskey configured",
  }),
  c({
    id: "3.16",
    title: "Ensure that the Docker socket file permissions are set to 660 or more restrictively",
    section: "files",
    level: 1,
    scored: true,
    severity: "high",
    remediation: "chmod 660 /var/run/docker.sock (and fix the unit or tmpfiles rule that widened it)",
    result: "fail",
    evidence: "/var/run/docker.sock has mode 0666",
    items: [{ subject: "/var/run/docker.sock", result: "fail", evidence: "mode 0666 (socket), want 0660" }],
  }),
  // 4 images
  c({
    id: "4.1",
    title: "Ensure that a user for the container has been created",
    section: "images",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: "Add a USER instruction with a non-root user to the Dockerfile and rebuild.",
    result: "fail",
    evidence: "1 of 2 images: web:1.4: runs as root (no USER)",
    items: [
      { subject: "web:1.4 (sha256:5f4e1c0b7a2d)", result: "fail", evidence: "runs as root (no USER)" },
      { subject: "registry.example/api:2 (sha256:0b7c9e41aa10)", result: "pass", evidence: "User 10001" },
    ],
  }),
  c({
    id: "4.5",
    title: "Ensure Content trust for Docker is Enabled",
    section: "images",
    level: 2,
    scored: true,
    severity: "low",
    remediation: "export DOCKER_CONTENT_TRUST=1 in the environment that pulls and runs images.",
    result: "warn",
    evidence: "DOCKER_CONTENT_TRUST is not set",
  }),
  c({
    id: "4.9",
    title: "Ensure that COPY is used instead of ADD in Dockerfiles",
    section: "images",
    level: 1,
    scored: false,
    severity: "low",
    remediation: "Use COPY unless you need ADD's archive extraction.",
    result: "info",
    evidence: "1 of 2 images use ADD after the base layer",
    items: [
      { subject: "web:1.4 (sha256:5f4e1c0b7a2d)", result: "info", evidence: "history[3]: ADD app.tgz /srv" },
    ],
  }),
  // 5 runtime
  c({
    id: "5.4",
    title: "Ensure that Linux kernel capabilities are restricted within containers",
    section: "runtime",
    level: 1,
    scored: true,
    severity: "high",
    remediation: "Run with --cap-drop=ALL and add back only the capabilities the process needs.",
    result: "fail",
    evidence: "1 of 3 containers: build (9a1c0d2e3f40): adds SYS_ADMIN",
    items: [
      { subject: "web (3c3fcff6e624)", result: "pass", evidence: "no capabilities added" },
      { subject: "build (9a1c0d2e3f40)", result: "fail", evidence: "adds SYS_ADMIN" },
      { subject: "ci-runner (7d3e5b6a1f20)", result: "pass", evidence: "no capabilities added" },
    ],
  }),
  c({
    id: "5.5",
    title: "Ensure that privileged containers are not used",
    section: "runtime",
    level: 1,
    scored: true,
    severity: "critical",
    remediation: "Do not run containers with --privileged.",
    result: "fail",
    evidence: "1 of 3 containers: ci-runner (7d3e5b6a1f20): Privileged: true",
    items: [
      { subject: "web (3c3fcff6e624)", result: "pass", evidence: "Privileged: false" },
      { subject: "build (9a1c0d2e3f40)", result: "pass", evidence: "Privileged: false" },
      { subject: "ci-runner (7d3e5b6a1f20)", result: "fail", evidence: "Privileged: true" },
    ],
  }),
  c({
    id: "5.7",
    title: "Ensure sshd is not run within containers",
    section: "runtime",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: "Remove sshd from the image; use docker exec for access.",
    result: "skip",
    evidence: "no process lists (--inspect files carry none)",
  }),
  c({
    id: "5.10",
    title: "Ensure that the host's network namespace is not shared",
    section: "runtime",
    level: 1,
    scored: true,
    severity: "high",
    remediation: "Do not run containers with --network host.",
    result: "pass",
    evidence: "all 3 containers comply",
    items: [
      { subject: "web (3c3fcff6e624)", result: "pass", evidence: "NetworkMode: bridge" },
      { subject: "build (9a1c0d2e3f40)", result: "pass", evidence: "NetworkMode: bridge" },
      { subject: "ci-runner (7d3e5b6a1f20)", result: "pass", evidence: "NetworkMode: bridge" },
    ],
  }),
  c({
    id: "5.26",
    title: "Ensure that the container is restricted from acquiring additional privileges",
    section: "runtime",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: "Run with --security-opt=no-new-privileges (or set it daemon-wide, 2.14).",
    result: "warn",
    evidence: "2 of 3 containers: web (3c3fcff6e624): no-new-privileges not set; …",
    items: [
      { subject: "web (3c3fcff6e624)", result: "warn", evidence: "no-new-privileges not set" },
      { subject: "build (9a1c0d2e3f40)", result: "warn", evidence: "no-new-privileges not set" },
      { subject: "ci-runner (7d3e5b6a1f20)", result: "pass", evidence: "no-new-privileges set" },
    ],
    otherIds: { "1.2.0": "5.25" },
  }),
  c({
    id: "5.32",
    title: "Ensure that the Docker socket is not mounted inside any containers",
    section: "runtime",
    level: 1,
    scored: true,
    severity: "critical",
    remediation: "Never bind-mount the engine socket; use a scoped API proxy if a container must talk to it.",
    result: "fail",
    evidence: "1 of 3 containers: ci-runner (7d3e5b6a1f20): /var/run/docker.sock mounted",
    items: [
      {
        subject: "ci-runner (7d3e5b6a1f20)",
        result: "fail",
        evidence: "/var/run/docker.sock mounted at /var/run/docker.sock (rw)",
      },
    ],
  }),
  // 6 operations
  c({
    id: "6.1",
    title: "Ensure that image sprawl is avoided",
    section: "operations",
    level: 1,
    scored: false,
    severity: "low",
    remediation: "Remove unused images: docker image prune -a.",
    result: "info",
    evidence: "14 images, 3 in use by containers",
  }),
  c({
    id: "6.2",
    title: "Ensure that container sprawl is avoided",
    section: "operations",
    level: 1,
    scored: false,
    severity: "low",
    remediation: "Remove stopped containers: docker container prune.",
    result: "pass",
    evidence: "3 containers, 0 stopped",
  }),
  // 7 swarm
  c({
    id: "7.1",
    title: "Ensure that the minimum number of manager nodes have been created in a swarm",
    section: "swarm",
    level: 1,
    scored: true,
    severity: "medium",
    remediation: "Keep the number of managers odd and minimal (docker node demote).",
    result: "skip",
    evidence: "swarm mode is inactive",
  }),
];

const RUNC_CVE: VulnerabilityFinding = {
  kind: "vulnerability",
  id: "CVE-2019-5736",
  aliases: ["GHSA-gxmr-w5mj-v8hh"],
  severity: "high",
  package: "runc",
  installedVersion: "1.0.0-rc6",
  fixedVersion: "1.0.0-rc7",
  status: "fixed",
  cvss: [
    { source: "nvd", version: "3.1", vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", score: 8.6 },
  ],
  kev: false,
  title: "runc allows attackers to overwrite the host runc binary and obtain host root access",
  references: [
    "https://nvd.nist.gov/vuln/detail/CVE-2019-5736",
    "https://github.com/opencontainers/runc/commit/0a8e4117e7f715d5fbeef398405813ce8e88558b",
  ],
  dataSource: "nvd",
};

const CONTAINERD_CVE: VulnerabilityFinding = {
  kind: "vulnerability",
  id: "CVE-2020-15257",
  aliases: ["GHSA-36xw-fx78-c5r4"],
  severity: "medium",
  package: "containerd",
  installedVersion: "1.2.2",
  fixedVersion: "1.3.9",
  status: "fixed",
  cvss: [
    { source: "nvd", version: "3.1", vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:L", score: 5.2 },
  ],
  kev: false,
  title: "containerd-shim API exposed to host network containers",
  references: ["https://github.com/containerd/containerd/security/advisories/GHSA-36xw-fx78-c5r4"],
  dataSource: "nvd,osv",
};

const SUPPRESSED_RUNC: VulnerabilityFinding = {
  kind: "vulnerability",
  id: "CVE-2019-19921",
  aliases: [],
  severity: "medium",
  package: "runc",
  installedVersion: "1.0.0-rc6",
  fixedVersion: "1.0.0-rc10",
  status: "fixed",
  cvss: [{ source: "nvd", version: "3.1", vector: "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", score: 7 }],
  kev: false,
  title: "runc volume mount race allows bypassing AppArmor restrictions",
  references: ["https://nvd.nist.gov/vuln/detail/CVE-2019-19921"],
  dataSource: "nvd",
};

const REPORT: BenchReport = {
  schemaVersion: 1,
  benchmark: { name: "CIS Docker Benchmark", version: "1.6.0" },
  target: {
    engine: "unix:///var/run/docker.sock",
    product: "docker",
    engineVersion: "18.09.1",
    hostname: "build-01",
    offline: false,
  },
  checks: CHECKS,
  components: [
    { name: "engine", version: "18.09.1", commit: "4c52b90", source: "/version", product: "docker" },
    {
      name: "containerd",
      version: "1.2.2",
      commit: "9754871865f7fe2f4e74d43e2fc7ccd237edcbce",
      source: "/version",
    },
    { name: "runc", version: "1.0.0-rc6", commit: RUNC_COMMIT, source: "/version" },
    { name: "docker-init", version: "0.18.0", commit: "fec3683", source: "/version" },
    { name: "kernel", version: "4.19.0-6-amd64", source: "/info KernelVersion" },
  ],
  findings: [RUNC_CVE, CONTAINERD_CVE],
  suppressed: [{ finding: SUPPRESSED_RUNC, reason: SUPPRESS_REASON }],
  // scored passes: 1.1.1 2.5 2.15 3.1 5.10 (6.2 is unscored); scored fails: 8 (1.2.2 is unscored)
  score: { score: -3, percent: 38, counts: { pass: 6, warn: 4, fail: 9, info: 3, skip: 4 } },
  // failed checks by severity (critical 5.5 5.32; high 1.2.2 3.16 5.4; medium 2.2 2.9 4.1; low 1.1.3)
  // plus the two findings (high, medium)
  summary: { critical: 2, high: 4, medium: 4, low: 1, unknown: 0 },
  metadata: {
    tool: "airbag",
    version: "0.1.0-test",
    db: { builtAt: "2024-05-06T00:00:00Z", sources: { nvd: "2024-05-05", osv: "2024-05-05" } },
    durationMs: 812,
    warnings: ["/etc/audit/audit.rules: permission denied; audit rules read from `auditctl -l`"],
  },
};

/** A fresh copy: tests mutate it freely. */
export const benchReport = (): BenchReport => structuredClone(REPORT);

export const findCheck = (r: BenchReport, id: string): CheckResult => {
  const found = r.checks.find((x) => x.id === id);
  if (!found) throw new Error(`fixture: no check ${id}`);
  return found;
};

/** The fixture with a hostile container name as a failing item of 5.5 and as a component commit. */
export function hostileBenchReport(): BenchReport {
  const r = benchReport();
  findCheck(r, "5.5").items.push({
    subject: HOSTILE_NAME,
    result: "fail",
    evidence: `Privileged: ${HOSTILE_NAME}`,
  });
  findCheck(r, "5.5").evidence = `2 of 4 containers: ${HOSTILE_NAME}`;
  r.target.hostname = HOSTILE_NAME;
  r.metadata.warnings.push(HOSTILE_NAME);
  return r;
}

export const renderB = (format: string, r: BenchReport = benchReport(), opts = BOPTS): string =>
  renderBench(r, format, opts);
