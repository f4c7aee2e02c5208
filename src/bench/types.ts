import type { ImageMeta } from "../detect/detector.js";
import type {
  ContainerInspect,
  ContainerSummary,
  EngineInfo,
  EngineVersionInfo,
  ImageSummary,
} from "../engine/types.js";
import type { Severity, SuppressedFinding, VulnerabilityFinding } from "../model/index.js";

/**
 * The shapes of `airbag bench`: CIS Docker Benchmark check definitions and results, the facts they are
 * decided from (collected live from an engine and the host, or read offline from files), runtime
 * component versions, and the report every output format renders.
 */

export type BenchResult = "pass" | "warn" | "fail" | "info" | "skip";
export const BENCH_RESULTS: readonly BenchResult[] = ["fail", "warn", "info", "skip", "pass"];

export type BenchSection = "host" | "daemon" | "files" | "images" | "runtime" | "operations" | "swarm";

/** Benchmark release the ids follow. */
export const CIS_VERSION = "1.6.0";

export interface CheckDefinition {
  /** CIS Docker Benchmark v1.6.0 id, e.g. "5.5" */
  id: string;
  title: string;
  section: BenchSection;
  /** CIS profile level */
  level: 1 | 2;
  /** CIS "Automated"/scored (counts in the score) vs "Manual" */
  scored: boolean;
  /** weight for `--fail-on` and SARIF levels */
  severity: Severity;
  remediation: string;
  /** the id in other CIS releases where it differs, e.g. { "1.2.0": "5.25" } */
  otherIds?: Record<string, string>;
}

/** One subject a check looked at: a container, image, file or user. */
export interface CheckItem {
  subject: string;
  result: BenchResult;
  evidence: string;
}

export interface CheckOutcome {
  result: BenchResult;
  /** one line: what was seen (or why the check was skipped) */
  evidence: string;
  items?: CheckItem[];
}

export interface CheckResult extends CheckDefinition, CheckOutcome {
  items: CheckItem[];
}

/** A check: its definition plus a pure function over the collected facts. */
export interface BenchCheck extends CheckDefinition {
  run(ctx: BenchContext): CheckOutcome;
}

/** Where a daemon setting's value came from. */
export type SettingSource = "daemon.json" | "flag" | "info" | "default";

export interface DaemonSetting {
  value: unknown;
  source: SettingSource;
}

/** A problem found while reading daemon.json or the dockerd command line. */
export interface DaemonConfigProblem {
  file: string;
  /** JSON path of the offending key, e.g. "log-opts.max-size"; "" for the document */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/**
 * The daemon's effective configuration: daemon.json merged with dockerd flags and what `/info`
 * reports, keyed by daemon.json key names ("icc", "no-new-privileges", "hosts", …).
 */
export interface EffectiveDaemonConfig {
  /** daemon.json path that was read, if any */
  file?: string;
  /** dockerd command line that was read, if any */
  commandLine?: string[];
  settings: Record<string, DaemonSetting>;
  /** malformed daemon.json (syntax, duplicate keys, wrong types): a 2.x check result reports these */
  problems: DaemonConfigProblem[];
  /** false when neither daemon.json, dockerd flags nor /info were available */
  known: boolean;
}

export interface FileFact {
  path: string;
  /** null when the file does not exist */
  exists: boolean;
  type?: "file" | "directory" | "socket" | "symlink" | "other";
  /** octal permission bits, e.g. 0o644 */
  mode?: number;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
}

/** Host facts read from the filesystem (`--host-root` for a host mounted elsewhere). */
export interface HostFacts {
  root: string;
  /** members of the `docker` group (undefined when /etc/group is unreadable or has no docker group) */
  dockerGroup?: string[];
  /** audit rules text lines from audit.rules / rules.d / `auditctl -l`; undefined when unreadable */
  auditRules?: string[];
  /** mount points from /proc/mounts (for 1.1.1) */
  mounts?: { device: string; mountPoint: string; fsType: string }[];
  /** stat of every path sections 1 and 3 ask about, keyed by absolute host path */
  files: Record<string, FileFact>;
  /** DOCKER_CONTENT_TRUST in the environment bench runs in */
  contentTrust?: string;
}

export type EngineProduct = "docker" | "podman" | "unknown";

/** A local image, with the config parts the misconfig detectors read. */
export interface LocalImage {
  id: string;
  tags: string[];
  summary: ImageSummary;
  meta: ImageMeta;
}

export interface ContainerFacts {
  inspect: ContainerInspect;
  /** `ps` output from /containers/{id}/top: process command lines (for 5.7 sshd) */
  processes?: string[];
}

export interface RuntimeComponent {
  /** normalised: engine, runc, crun, containerd, docker-init, conmon, kernel */
  name: string;
  version: string;
  commit?: string;
  /** where it was read: "/version", "/info RuncCommit", "runc --version", "uname" */
  source: string;
  /** for engine: docker or podman */
  product?: EngineProduct;
}

/** Everything checks decide from; absent parts make their checks `skip` with the reason. */
export interface BenchContext {
  engine?: {
    url: string;
    product: EngineProduct;
    version?: EngineVersionInfo;
    info?: EngineInfo;
  };
  daemon: EffectiveDaemonConfig;
  host?: HostFacts;
  /** running containers (section 5); undefined when no engine and no --inspect was given */
  containers?: ContainerFacts[];
  /** every container incl. stopped ones (6.2) */
  allContainers?: ContainerSummary[];
  /** local images (section 4, 6.1); undefined when not listed */
  images?: LocalImage[];
  components: RuntimeComponent[];
  /** the host's OSV ecosystem ("Debian:12") when components were read from host binaries */
  distro?: string;
  /** runtime component vulnerabilities, once matched (decides 1.2.2) */
  runtimeFindings?: VulnerabilityFinding[];
}

export interface BenchScore {
  /** docker-bench style: +1 per scored pass, −1 per scored fail */
  score: number;
  /** passed / (passed + failed) of scored checks, 0–100 */
  percent: number;
  counts: Record<BenchResult, number>;
}

export interface BenchReport {
  schemaVersion: 1;
  benchmark: { name: "CIS Docker Benchmark"; version: string };
  target: {
    engine?: string;
    product?: EngineProduct;
    engineVersion?: string;
    hostname?: string;
    /** true when decided from files only (--daemon-json / --inspect without an engine) */
    offline: boolean;
  };
  checks: CheckResult[];
  components: RuntimeComponent[];
  /** runtime component vulnerabilities (runc, containerd, engine); package = component name */
  findings: VulnerabilityFinding[];
  /** vulnerabilities a distro or vendor build is known to have patched, with the reason */
  suppressed: SuppressedFinding[];
  score: BenchScore;
  /** failed checks and findings by severity */
  summary: Record<Severity, number>;
  metadata: {
    tool: "airbag";
    version: string;
    db?: unknown;
    durationMs: number;
    warnings: string[];
  };
}
