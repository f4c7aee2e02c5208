import type { EngineClient } from "./client.js";
import { EngineApiError } from "./client.js";
import type {
  ContainerInspect,
  ContainerSummary,
  EngineInfo,
  ImageHistoryItem,
  ImageInspect,
  ImageSummary,
} from "./types.js";

/**
 * Typed wrappers for the read-only Engine API calls the benchmark and the monitor make. Objects that
 * vanish between listing and inspecting (a container removed meanwhile) come back as undefined.
 */

const id = (s: string) => encodeURIComponent(s);

export const engineInfo = (c: EngineClient) => c.json<EngineInfo>("GET", "/info");

export const listContainers = (c: EngineClient, all = false) =>
  c.json<ContainerSummary[]>("GET", `/containers/json${all ? "?all=1" : ""}`).then((r) => r ?? []);

export const listImages = (c: EngineClient) =>
  c.json<ImageSummary[]>("GET", "/images/json").then((r) => r ?? []);

async function unlessGone<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof EngineApiError && err.status === 404) return undefined;
    throw err;
  }
}

export const inspectContainer = (c: EngineClient, ref: string) =>
  unlessGone(c.json<ContainerInspect>("GET", `/containers/${id(ref)}/json`));

export const inspectImage = (c: EngineClient, ref: string) =>
  unlessGone(c.json<ImageInspect>("GET", `/images/${id(ref)}/json`));

export const imageHistory = (c: EngineClient, ref: string) =>
  unlessGone(c.json<ImageHistoryItem[]>("GET", `/images/${id(ref)}/history`));

/** `ps` inside a container: the title row and one array of columns per process. */
export const containerTop = (c: EngineClient, ref: string) =>
  unlessGone(c.json<{ Titles?: string[]; Processes?: string[][] }>("GET", `/containers/${id(ref)}/top`));

/** Run `fn` over `items` with at most `limit` calls in flight, keeping the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
