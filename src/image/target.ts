import { open, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { AirbagError, inputError, type TargetKind } from "../model/index.js";
import { type BlobStore, DirStore, TarStore } from "./blob-store.js";
import { openDockerArchive } from "./docker-archive.js";
import { openEngineImage } from "./engine-source.js";
import { openOciLayout, parsePlatform } from "./oci-layout.js";
import type { RegistryClientOptions } from "./registry/client.js";
import { openRegistryImage } from "./registry/source.js";
import type { ImageSource, OpenOptions } from "./types.js";

/** What remote sources need besides the platform: transport security, engine socket, credentials. */
export interface TargetOptions extends OpenOptions {
  /** allow plain HTTP and unverified TLS for registries (loopback registries get plain HTTP anyway) */
  insecure?: boolean;
  /** Docker / podman API endpoint for `engine:` (`unix:///path.sock`, a socket path, tcp://host:port) */
  engine?: string;
  /** registry client settings beyond `insecure` (credentials, docker config path, mirrors, retries) */
  registry?: Omit<RegistryClientOptions, "insecure">;
}

/** A parsed target string (skopeo-like transports; see BRIEF.md "Targets"). */
export interface TargetRef {
  kind: TargetKind;
  /** file system path or image reference */
  path: string;
  /** tag / `name:tag` / `@N` inside an archive or layout */
  tag?: string;
  digest?: string;
  /** the string the user gave */
  raw: string;
}

const TRANSPORTS: Record<string, TargetKind> = {
  "docker-archive": "docker-archive",
  oci: "oci",
  "oci-archive": "oci",
  dir: "dir",
  sbom: "sbom",
  registry: "registry",
  docker: "registry",
  engine: "engine",
};

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** `PATH[:TAG]` or `PATH@sha256:…` where PATH itself may contain colons: prefer the longest existing path. */
async function splitPathRef(rest: string): Promise<{ path: string; tag?: string; digest?: string }> {
  const at = rest.lastIndexOf("@");
  if (at > 0 && /^@sha(256|512):[0-9a-f]+$/.test(rest.slice(at)) && !(await exists(rest)))
    return { path: rest.slice(0, at), digest: rest.slice(at + 1) };
  if (await exists(rest)) return { path: rest };
  for (let i = rest.indexOf(":"); i > 0; i = rest.indexOf(":", i + 1)) {
    if (await exists(rest.slice(0, i))) return { path: rest.slice(0, i), tag: rest.slice(i + 1) };
  }
  return { path: rest };
}

export async function parseTarget(raw: string): Promise<TargetRef> {
  if (!raw) throw new AirbagError("USAGE", "no target given");
  const m = /^([a-z-]+):(.*)$/.exec(raw);
  const kind = m ? TRANSPORTS[m[1]!] : undefined;
  if (m && kind) {
    if (kind === "registry" || kind === "engine") return { kind, path: m[2]!.replace(/^\/\//, ""), raw };
    if (kind === "dir" || kind === "sbom") return { kind, path: m[2]!, raw };
    return { kind, ...(await splitPathRef(m[2]!)), raw };
  }
  // bare argument: a path on disk is sniffed, anything else is an image reference
  const split = await splitPathRef(raw);
  if (await exists(split.path)) return { kind: await sniffKind(split.path), ...split, raw };
  if (/^(\.{0,2}\/|~)|\.(tar|tgz|tar\.gz|json)$/.test(raw))
    throw inputError(`${raw}: no such file or directory`);
  return { kind: "registry", path: raw, raw };
}

async function sniffKind(path: string): Promise<TargetKind> {
  const st = await stat(path);
  if (st.isDirectory()) {
    if (await exists(resolve(path, "oci-layout"))) return "oci";
    if (await exists(resolve(path, "manifest.json"))) return "docker-archive";
    return "dir";
  }
  const fh = await open(path, "r");
  const head = Buffer.alloc(512);
  await fh.read(head, 0, 512, 0);
  await fh.close();
  const text = head.toString("utf8").trimStart();
  // a tar never starts with "{"; readSbom names the file if it is JSON but not an SBOM
  if (text.startsWith("{")) return "sbom";
  // a tar (or gzip'd tar): look inside for the layout marker
  const store = await TarStore.open(path);
  try {
    return store.has("oci-layout") ? "oci" : "docker-archive";
  } finally {
    await store.close();
  }
}

async function openStore(path: string, opts: OpenOptions): Promise<BlobStore> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw inputError(`${path}: no such file or directory`);
  return st.isDirectory() ? new DirStore(path) : TarStore.open(path, opts.tmpDir);
}

/** Open a target for walking. Registry and engine targets are served by their own sources. */
export async function openTarget(ref: TargetRef, opts: TargetOptions = {}): Promise<ImageSource> {
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  switch (ref.kind) {
    case "dir": {
      const st = await stat(ref.path).catch(() => undefined);
      if (!st?.isDirectory()) throw inputError(`${ref.path}: not a directory (dir: needs a root filesystem)`);
      return {
        kind: "rootfs",
        info: { name: ref.raw, kind: "dir" },
        root: resolve(ref.path),
        close: async () => {},
      };
    }
    case "docker-archive": {
      const store = await openStore(ref.path, opts);
      try {
        return await openDockerArchive(store, ref.raw, ref.tag);
      } catch (err) {
        await store.close();
        throw err;
      }
    }
    case "oci": {
      const store = await openStore(ref.path, opts);
      try {
        return await openOciLayout(store, ref.raw, { tag: ref.tag, digest: ref.digest, platform });
      } catch (err) {
        await store.close();
        throw err;
      }
    }
    case "sbom":
      throw new AirbagError(
        "UNSUPPORTED",
        `${ref.raw}: SBOM targets are read by "airbag scan", not walked as an image`,
      );
    case "registry":
      return openRegistryImage(ref.path, { ...opts.registry, insecure: opts.insecure, platform });
    case "engine":
      return openEngineImage(ref.path, { engine: opts.engine, tmpDir: opts.tmpDir });
    default:
      throw new AirbagError("UNSUPPORTED", `${ref.raw}: ${ref.kind} targets are not supported`);
  }
}
