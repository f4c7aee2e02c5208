import { readFileSync } from "node:fs";
import { join } from "node:path";
import { detectOs } from "../catalog/os-release.js";
import type { ImageMeta } from "../detect/detector.js";
import {
  containerTop,
  EngineClient,
  type EngineInfo,
  type EngineVersionInfo,
  engineInfo,
  imageHistory,
  inspectContainer,
  inspectImage,
  listContainers,
  listImages,
  mapLimit,
  resolveEngineEndpoint,
} from "../engine/index.js";
import type { ImageHistoryItem, ImageInspect, ImageSummary } from "../engine/types.js";
import { globMatches } from "../match/wildcard.js";
import { AirbagError } from "../model/index.js";
import { collectComponents, productOf } from "./components.js";
import { effectiveDaemonConfig, findDockerdCommandLine, readDockerUnitCommandLine } from "./daemon-config.js";
import { collectHostFacts } from "./host-facts.js";
import { normalizeInspect } from "./inspect-shape.js";
import { readInspectFiles, readJsonFile } from "./offline.js";
import type { BenchContext, ContainerFacts, EngineProduct, LocalImage, RuntimeComponent } from "./types.js";

/**
 * Gathers what the checks decide from: the engine's /version, /info, containers (inspect + top) and
 * images (inspect + history) when an engine is used; daemon.json, the dockerd command line and host
 * file facts from the host root; offline files (--daemon-json, --inspect, --info, --version-json) in CI.
 */

export interface CollectOptions {
  /** talk to an engine (explicit --engine, $DOCKER_HOST or the default sockets) */
  useEngine: boolean;
  engine?: string;
  /** read host files (group, audit rules, stat) under this root; undefined = no host facts */
  hostRoot?: string;
  daemonJson?: string;
  inspectFiles: string[];
  infoFile?: string;
  versionFile?: string;
  /** NAME=VERSION[@COMMIT] given on the command line */
  components: string[];
  /** run runc/containerd --version on this machine */
  runBinaries: boolean;
  /** container names (globs) left out of section 5 */
  excludeContainers: string[];
  warn(message: string): void;
}

/** The engine product: from `/version`, else what `/info` says. */
function engineProduct(version: EngineVersionInfo | undefined, info: EngineInfo | undefined): EngineProduct {
  const p = version ? productOf(version) : "unknown";
  if (p !== "unknown") return p;
  if (info?.ServerVersion) return (info as { BuildahVersion?: string }).BuildahVersion ? "podman" : "docker";
  return "unknown";
}

/** The host's OSV ecosystem ("Debian:12") from its os-release, for distro-patched runtime builds. */
function hostDistro(root: string): string | undefined {
  return detectOs((p) => {
    try {
      return readFileSync(join(root, p));
    } catch {
      return undefined;
    }
  })?.ecosystem;
}

/** Glob with `*` and `?` over a container name (with or without its leading slash). */
export function nameMatcher(globs: string[]): (name: string) => boolean {
  return (name) => globs.some((g) => globMatches(g, name.replace(/^\//, "")));
}

/**
 * The id of the container this process runs in, if any, so bench does not flag itself (docker-bench
 * #276): the cgroup path names it on cgroup v1, and on v2 the engine's bind mount of /etc/hostname comes
 * from the container's own directory. Other mounts (e.g. an engine's storage on this host) do not count.
 */
export function ownContainerId(cgroup: string, mountinfo: string): string | undefined {
  const fromCgroup = /(?:docker|libpod)[-/]([0-9a-f]{64})/.exec(cgroup)?.[1];
  if (fromCgroup) return fromCgroup;
  for (const line of mountinfo.split("\n")) {
    const f = line.split(" ");
    if (f[4] === "/etc/hostname") return /\/([0-9a-f]{64})\//.exec(f[3] ?? "")?.[1];
  }
  return undefined;
}

function readOwnContainerId(): string | undefined {
  try {
    return ownContainerId(
      readFileSync("/proc/self/cgroup", "utf8"),
      readFileSync("/proc/self/mountinfo", "utf8"),
    );
  } catch {
    return undefined;
  }
}

/** The detector view of an engine image (history comes newest first from the API). */
export function imageMetaOf(inspect: ImageInspect, history: ImageHistoryItem[], name: string): ImageMeta {
  const c = inspect.Config ?? {};
  const list = (v: string[] | string | null | undefined) => (Array.isArray(v) ? v : v ? [v] : []);
  return {
    name,
    ...(c.User !== undefined ? { user: c.User } : {}),
    env: c.Env ?? [],
    labels: c.Labels ?? {},
    entrypoint: list(c.Entrypoint),
    cmd: list(c.Cmd),
    exposedPorts: Object.keys(c.ExposedPorts ?? {}),
    ...(c.Healthcheck
      ? { healthcheck: { ...(c.Healthcheck.Test ? { test: c.Healthcheck.Test } : {}) } }
      : {}),
    history: [...history]
      .reverse()
      .map((h) => ({ createdBy: h.CreatedBy ?? "", emptyLayer: (h.Size ?? 0) === 0 })),
  };
}

/** `runc=1.0.0-rc6@69663f0b…` → a component; `docker=18.09.2` / `podman=4.3.1` → the engine. */
export function parseComponentFlag(flag: string): RuntimeComponent {
  const m = /^([a-z][\w-]*)=([^@\s]+)(?:@(\S+))?$/i.exec(flag.trim());
  if (!m)
    throw new AirbagError("USAGE", `--component "${flag}": use NAME=VERSION[@COMMIT], e.g. runc=1.1.11`);
  const [, raw = "", version = "", commit] = m;
  const name = raw.toLowerCase();
  // `docker=…` / `podman=…` name the engine and its product
  const product = name === "docker" || name === "podman" ? name : undefined;
  return {
    name: product ? "engine" : name,
    version,
    ...(commit ? { commit } : {}),
    source: "--component",
    ...(product ? { product } : {}),
  };
}

async function engineFacts(client: EngineClient, opts: CollectOptions) {
  const version = client.version as EngineVersionInfo;
  const info = await engineInfo(client);
  const own = readOwnContainerId();
  const excluded = nameMatcher(opts.excludeContainers);
  const running = (await listContainers(client)).filter((c) => {
    if (own && c.Id === own) {
      opts.warn(`left out airbag's own container ${(c.Names?.[0] ?? c.Id).replace(/^\//, "")}`);
      return false;
    }
    return !(c.Names ?? []).some(excluded);
  });
  const containers = (
    await mapLimit(running, 4, async (c): Promise<ContainerFacts | undefined> => {
      const ref = c.Id ?? "";
      const raw = await inspectContainer(client, ref);
      if (!raw) return undefined;
      const inspect = normalizeInspect(raw);
      const top = await containerTop(client, ref).catch((err: Error) => {
        opts.warn(`processes of ${ref.slice(0, 12)}: ${err.message}`);
        return undefined;
      });
      const cmd = top?.Titles?.findIndex((t) => /^(?:CMD|COMMAND|ARGS)$/i.test(t)) ?? -1;
      const processes = top?.Processes?.map((p) => (cmd >= 0 ? (p[cmd] ?? "") : p.join(" ")));
      return { inspect, ...(processes ? { processes } : {}) };
    })
  ).filter((c): c is ContainerFacts => c !== undefined);
  const allContainers = await listContainers(client, true);
  const summaries = await listImages(client);
  const images = (
    await mapLimit(summaries, 4, async (s: ImageSummary): Promise<LocalImage | undefined> => {
      const id = s.Id ?? "";
      const [inspect, history] = await Promise.all([inspectImage(client, id), imageHistory(client, id)]);
      if (!inspect) return undefined;
      const tags = (s.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
      return { id, tags, summary: s, meta: imageMetaOf(inspect, history ?? [], tags[0] ?? id) };
    })
  ).filter((i): i is LocalImage => i !== undefined);
  return { version, info, containers, allContainers, images };
}

export async function collectBenchContext(opts: CollectOptions): Promise<BenchContext> {
  const given = opts.components.map(parseComponentFlag);
  let engine: BenchContext["engine"];
  let live: Awaited<ReturnType<typeof engineFacts>> | undefined;
  if (opts.useEngine) {
    const endpoint = resolveEngineEndpoint(opts.engine ? { engine: opts.engine } : {});
    const client = await EngineClient.connect(endpoint);
    try {
      live = await engineFacts(client, opts);
    } finally {
      client.close();
    }
    engine = {
      url: endpoint.url,
      product: engineProduct(live.version, live.info),
      version: live.version,
      info: live.info,
    };
  } else if (opts.infoFile || opts.versionFile) {
    const info = opts.infoFile ? await readJsonFile<EngineInfo>(opts.infoFile, "--info") : undefined;
    const version = opts.versionFile
      ? await readJsonFile<EngineVersionInfo>(opts.versionFile, "--version-json")
      : undefined;
    engine = {
      url: "file",
      product: engineProduct(version, info),
      ...(version ? { version } : {}),
      ...(info ? { info } : {}),
    };
  }
  const offlineContainers = await readInspectFiles(opts.inspectFiles);
  const root = opts.hostRoot;
  const commandLine =
    root === undefined
      ? undefined
      : ((await findDockerdCommandLine(join(root, "proc"))) ?? (await readDockerUnitCommandLine(root))?.argv);
  const daemon = await effectiveDaemonConfig({
    ...(opts.daemonJson
      ? { file: opts.daemonJson }
      : root !== undefined && !commandLine
        ? { file: join(root, "etc/docker/daemon.json"), fileOptional: true }
        : {}),
    ...(commandLine ? { commandLine } : {}),
    ...(root !== undefined ? { root } : {}),
    ...(engine?.info ? { info: engine.info } : {}),
  });
  const host = root !== undefined ? await collectHostFacts({ root, daemon }) : undefined;
  const components = [
    ...given,
    ...(
      await collectComponents({
        ...(engine?.version ? { version: engine.version } : {}),
        ...(engine?.info ? { info: engine.info } : {}),
        runBinaries: opts.runBinaries,
      })
    ).filter((c) => !given.some((g) => g.name === c.name)),
  ];
  const distro = root !== undefined && opts.runBinaries ? hostDistro(root) : undefined;
  const containers = [...(live?.containers ?? []), ...offlineContainers.map((inspect) => ({ inspect }))];
  return {
    ...(engine ? { engine } : {}),
    daemon,
    ...(host ? { host } : {}),
    ...(live || opts.inspectFiles.length ? { containers } : {}),
    ...(live ? { allContainers: live.allContainers, images: live.images } : {}),
    components,
    ...(distro ? { distro } : {}),
  };
}
