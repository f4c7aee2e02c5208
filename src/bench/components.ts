import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { release } from "node:os";
import { delimiter, join } from "node:path";
import type { EngineComponent, EngineInfo, EngineVersionInfo } from "../engine/types.js";
import type { EngineProduct, RuntimeComponent } from "./types.js";

/**
 * Runtime component versions for the outdated-runtime check: the engine, runc/crun, containerd,
 * docker-init (tini), conmon and the kernel, read from the engine's `/version` and `/info` and from the
 * binaries' own `--version` output. Names are normalised (engine, runc, crun, containerd, docker-init,
 * conmon, kernel); versions keep what the component prints (`1.0.0-rc6+dev`, `18.06.1-ce`), minus a
 * leading `v`. The parsers are pure and never throw: text they cannot read yields nothing.
 */

const clean = (v: string | undefined): string | undefined => {
  const t = v?.trim().replace(/^v(?=\d)/, "");
  return t ? t : undefined;
};
/** Commit fields hold a hash, a Debian package version, or junk such as "unknown" / "N/A". */
const commitOf = (c: string | undefined): string | undefined => {
  const t = c?.trim();
  return t && !/^(unknown|n\/a|none|-)$/i.test(t) ? t : undefined;
};

function component(
  name: string,
  version: string | undefined,
  commit: string | undefined,
  source: string,
  product?: EngineProduct,
): RuntimeComponent {
  const c = commitOf(commit);
  return {
    name,
    version: clean(version) ?? "unknown",
    ...(c ? { commit: c } : {}),
    source,
    ...(product ? { product } : {}),
  };
}

/** `runc --version`: `runc version 1.1.5+ds1` / `commit: 1.1.5+ds1-1+deb12u1` / `spec: 1.0.2-dev`. */
export function parseRuncVersion(out: string, source = "runc --version"): RuntimeComponent | undefined {
  const v = /^runc version\s+(\S+)/m.exec(out);
  if (!v) return undefined;
  return component("runc", v[1], /^commit:\s*(\S+)/m.exec(out)?.[1], source);
}

/** `crun --version`: `crun version 1.8.5` / `commit: b6f80f7…` / `rundir: …` / `spec: 1.0.0`. */
export function parseCrunVersion(out: string, source = "crun --version"): RuntimeComponent | undefined {
  const v = /^crun version\s+(\S+)/m.exec(out);
  if (!v) return undefined;
  return component("crun", v[1], /^commit:\s*(\S+)/m.exec(out)?.[1], source);
}

/**
 * `containerd --version`: `containerd <package> <version> <revision>`, e.g.
 * `containerd containerd.io 1.6.28 ae07eda…`, `containerd github.com/containerd/containerd v1.7.13 7c3aca7…`,
 * Debian `containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u1`.
 */
export function parseContainerdVersion(
  out: string,
  source = "containerd --version",
): RuntimeComponent | undefined {
  const m = /^containerd\s+(\S+)\s+(v?\d\S*)(?:\s+(\S+))?/m.exec(out.trim());
  if (!m) return undefined;
  return component("containerd", m[2], m[3], source);
}

/** `docker-init --version` (tini): `tini version 0.19.0 - git.de40ad0`, Debian's `tini version 0.19.0`. */
export function parseDockerInitVersion(
  out: string,
  source = "docker-init --version",
): RuntimeComponent | undefined {
  const m = /^tini version\s+(\S+)(?:\s+-\s+git\.([0-9a-f]+))?/m.exec(out.trim());
  if (!m) return undefined;
  return component("docker-init", m[1], m[2], source);
}

/** `conmon --version` or podman's Conmon component: `conmon version 2.1.6, commit: unknown`. */
export function parseConmonVersion(out: string, source = "conmon --version"): RuntimeComponent | undefined {
  const m = /conmon version\s+([^\s,]+)/.exec(out);
  if (!m) return undefined;
  return component("conmon", m[1], /commit:\s*(\S+)/.exec(out)?.[1], source);
}

/** `uname -r` / os.release() / `KernelVersion`: `6.1.0-18-amd64`, `4.9.125-linuxkit`. */
export function kernelComponent(releaseString: string, source = "uname"): RuntimeComponent | undefined {
  const r = releaseString.trim();
  return /^\d/.test(r) ? component("kernel", r, undefined, source) : undefined;
}

/** podman's `Details.Package` (`runc_1.1.5+ds1-1+deb12u1_amd64`) → the Debian package version. */
function debianPackageVersion(pkg: string | undefined): string | undefined {
  const m = pkg ? /^[a-z0-9][a-z0-9.+-]*_([0-9][^_\s]*)_[a-z0-9-]+$/.exec(pkg.trim()) : null;
  return m?.[1];
}

function fromVersionComponent(c: EngineComponent, product: EngineProduct): RuntimeComponent | undefined {
  const name = c.Name?.trim() ?? "";
  const details = c.Details ?? {};
  const commit = details.GitCommit;
  const source = "/version";
  if (name === "Engine" || name === "Podman Engine")
    return component("engine", c.Version, commit, source, name === "Podman Engine" ? "podman" : product);
  if (name === "containerd") return component("containerd", c.Version, commit, source);
  if (name === "runc") return component("runc", c.Version, commit, source);
  if (name === "docker-init") return component("docker-init", c.Version, commit, source);
  if (name === "Conmon") return parseConmonVersion(c.Version ?? "", source);
  // podman: "OCI Runtime (runc)" / "OCI Runtime (crun)" with the runtime's whole --version output
  const oci = /^OCI Runtime \((\w+)\)$/.exec(name);
  if (oci) {
    const text = c.Version ?? "";
    const parsed =
      oci[1] === "runc"
        ? parseRuncVersion(text, source)
        : oci[1] === "crun"
          ? parseCrunVersion(text, source)
          : undefined;
    if (!parsed) return undefined;
    const pkg = debianPackageVersion(details.Package);
    return parsed.commit || !pkg ? parsed : { ...parsed, commit: pkg };
  }
  return undefined;
}

/** The engine product `/version` describes. */
export function productOf(v: EngineVersionInfo): EngineProduct {
  const names = (v.Components ?? []).map((c) => c.Name ?? "");
  if (names.includes("Podman Engine") || /podman/i.test(v.Platform?.Name ?? "")) return "podman";
  if (names.includes("Engine") || /docker/i.test(v.Platform?.Name ?? "")) return "docker";
  return v.Version ? "docker" : "unknown";
}

/** Components of a `/version` answer (Docker's Components[], podman's, or an old engine's top level). */
export function componentsFromVersion(v: EngineVersionInfo): RuntimeComponent[] {
  const product = productOf(v);
  const out: RuntimeComponent[] = [];
  for (const c of v.Components ?? []) {
    const parsed = fromVersionComponent(c, product);
    if (parsed) out.push(parsed);
  }
  if (!out.some((c) => c.name === "engine") && v.Version)
    out.push(component("engine", v.Version, v.GitCommit, "/version", product));
  if (v.KernelVersion) {
    const k = kernelComponent(v.KernelVersion, "/version");
    if (k) out.push(k);
  }
  return out;
}

/**
 * Components of an `/info` answer: `RuncCommit`/`ContainerdCommit`/`InitCommit` IDs (a hash, or on Debian
 * the package version), `ServerVersion`, `KernelVersion`. A commit alone gives version "unknown", unless
 * it is a Debian package version whose upstream part is the version (`1.1.5+ds1-1+deb12u1` → 1.1.5+ds1).
 */
export function componentsFromInfo(info: EngineInfo, product: EngineProduct = "unknown"): RuntimeComponent[] {
  const out: RuntimeComponent[] = [];
  const byCommit = (name: string, id: string | undefined, field: string) => {
    const commit = commitOf(id);
    if (!commit) return;
    const upstream = /^(\d[\w.+~]*)-[\w.+~]+$/.exec(commit)?.[1];
    out.push(component(name, upstream, commit, `/info ${field}`));
  };
  if (info.ServerVersion) out.push(component("engine", info.ServerVersion, undefined, "/info", product));
  byCommit("runc", info.RuncCommit?.ID, "RuncCommit");
  byCommit("containerd", info.ContainerdCommit?.ID, "ContainerdCommit");
  byCommit("docker-init", info.InitCommit?.ID, "InitCommit");
  if (info.KernelVersion) {
    const k = kernelComponent(info.KernelVersion, "/info");
    if (k) out.push(k);
  }
  return out;
}

/**
 * One component per name, in order of trust: the first list that has it wins (callers pass `/version`
 * first); a later one fills in a missing commit, version or product, and its source is noted.
 */
export function mergeComponents(...lists: RuntimeComponent[][]): RuntimeComponent[] {
  const byName = new Map<string, RuntimeComponent>();
  for (const c of lists.flat()) {
    const have = byName.get(c.name);
    if (!have) {
      byName.set(c.name, { ...c });
      continue;
    }
    let used = false;
    if (have.version === "unknown" && c.version !== "unknown") {
      have.version = c.version;
      used = true;
    }
    if (!have.commit && c.commit) {
      have.commit = c.commit;
      used = true;
    }
    if ((!have.product || have.product === "unknown") && c.product && c.product !== "unknown") {
      have.product = c.product;
      used = true;
    }
    if (used && !have.source.split(", ").includes(c.source)) have.source = `${have.source}, ${c.source}`;
  }
  return [...byName.values()];
}

const BINARIES: { file: string; parse: (out: string) => RuntimeComponent | undefined }[] = [
  { file: "runc", parse: (o) => parseRuncVersion(o) },
  { file: "crun", parse: (o) => parseCrunVersion(o) },
  { file: "containerd", parse: (o) => parseContainerdVersion(o) },
  { file: "docker-init", parse: (o) => parseDockerInitVersion(o) },
];

/** The first executable `name` on `path` (a PATH-style list). */
export function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function runVersion(file: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, ["--version"], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout) =>
      resolve(err ? undefined : String(stdout)),
    );
  });
}

export interface CollectOptions {
  version?: EngineVersionInfo;
  info?: EngineInfo;
  /** also run `runc`, `crun`, `containerd`, `docker-init` found on PATH with `--version` */
  runBinaries: boolean;
  /** search path for the binaries (default: $PATH) */
  path?: string;
  /** per-binary timeout (default 5 s): a hung binary must not hang the bench */
  timeoutMs?: number;
  /** kernel release of the host bench runs on (default: os.release(), what `uname -r` prints) */
  kernelRelease?: string;
  /** problems worth a line in the report's warnings (a binary that failed or printed junk) */
  warn?: (message: string) => void;
}

/**
 * Everything known about the runtime components: `/version` first, then `/info`, then the binaries on
 * PATH and the kernel release (only when `runBinaries`: they describe the host bench runs on, which is
 * the engine's host only for a local engine).
 */
export async function collectComponents(opts: CollectOptions): Promise<RuntimeComponent[]> {
  const fromVersion = opts.version ? componentsFromVersion(opts.version) : [];
  const product = opts.version ? productOf(opts.version) : "unknown";
  const fromInfo = opts.info ? componentsFromInfo(opts.info, product) : [];
  const local: RuntimeComponent[] = [];
  if (opts.runBinaries) {
    const path = opts.path ?? process.env.PATH ?? "";
    const found = BINARIES.map((b) => ({ ...b, at: findOnPath(b.file, path) })).filter((b) => b.at);
    const outputs = await Promise.all(found.map((b) => runVersion(b.at!, opts.timeoutMs ?? 5000)));
    found.forEach((b, i) => {
      const out = outputs[i];
      const parsed = out === undefined ? undefined : b.parse(out);
      if (parsed) local.push(parsed);
      else
        opts.warn?.(
          `${b.at} --version: ${out === undefined ? "failed or timed out" : "unrecognised output"}`,
        );
    });
    const k = kernelComponent(opts.kernelRelease ?? release(), "uname");
    if (k) local.push(k);
  }
  return mergeComponents(fromVersion, fromInfo, local);
}
