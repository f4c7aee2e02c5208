import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { EngineClient, readAll, resolveEngineEndpoint } from "../engine/index.js";
import { AirbagError, inputError } from "../model/index.js";
import { TarStore } from "./blob-store.js";
import { openDockerArchive } from "./docker-archive.js";
import type { LayeredImage } from "./types.js";

/**
 * `engine:REF`: `GET /images/{name}/get` (docker save over the API, also podman's compat API) streamed
 * to a private temp file, then read like any docker archive. The archive must be seekable for the
 * TarStore index, hence the file; it is removed on close (and on any failure).
 */

export interface EngineSourceOptions {
  /** `--engine` value; default: $DOCKER_HOST, then the well-known sockets */
  engine?: string;
  tmpDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Keep `/`, `:` and `@` readable (`localhost/bb:1`, `app@sha256:…`); the engines route on `{name:.*}`. */
function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, "/").replace(/%3A/gi, ":").replace(/%40/g, "@");
}

export async function openEngineImage(name: string, opts: EngineSourceOptions = {}): Promise<LayeredImage> {
  if (!name || /\s/.test(name))
    throw new AirbagError("USAGE", `engine:"${name}": expected engine:IMAGE[:TAG] or engine:ID`);
  const endpoint = resolveEngineEndpoint({ engine: opts.engine, env: opts.env });
  const client = await EngineClient.connect(endpoint);
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), "airbag-engine-"));
  const file = join(dir, "image.tar");
  const removeDir = () => rm(dir, { recursive: true, force: true }).catch(() => {});
  try {
    const path = `/images/${encodeName(name)}/get`;
    const res = await client.request("GET", path, { idleTimeoutMs: 300_000 });
    if (res.statusCode !== 200) {
      const text = (await readAll(res, 1 << 20).catch(() => Buffer.alloc(0))).toString("utf8");
      if (res.statusCode === 404) throw inputError(`engine ${endpoint.url}: no such image "${name}"`);
      throw client.errorFor(res.statusCode ?? 0, path, text);
    }
    try {
      await pipeline(res, createWriteStream(file));
    } catch (err) {
      throw new AirbagError(
        "NETWORK",
        `engine ${endpoint.url}: export of "${name}" was interrupted (${(err as Error).message})`,
        { cause: err },
      );
    }
    const store = await TarStore.open(file, opts.tmpDir);
    let img: LayeredImage;
    try {
      img = await openDockerArchive(store, `engine:${name}`);
    } catch (err) {
      await store.close();
      throw err;
    }
    return {
      ...img,
      info: { ...img.info, kind: "engine" },
      close: async () => {
        await img.close();
        await removeDir();
      },
    };
  } catch (err) {
    await removeDir();
    throw err;
  } finally {
    client.close();
  }
}
