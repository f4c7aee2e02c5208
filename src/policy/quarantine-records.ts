import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerRef } from "../model/index.js";
import { inputError } from "../model/index.js";
import { safeFileId, writeJsonAtomic } from "./state-dir.js";

/**
 * What interventions leave in the state directory for humans and for `release`:
 * - `isolated/<container id>.json` — the networks a container was disconnected from (name, id,
 *   aliases, static addresses), so release can connect it back the way it was;
 * - `labels/<container id>.json` — labels Airbag put on a container. Neither Docker nor podman can
 *   change the labels of an existing container (Docker's `POST /containers/{id}/update` takes only
 *   resources and the restart policy; podman 4's compat `update` answers 404 and libpod's takes only
 *   resources), so the label lives here, not on the container — and the outcome says so.
 */

export interface NetworkAttachment {
  /** key in NetworkSettings.Networks (the network's name) */
  name: string;
  networkId?: string;
  ipAddress?: string;
  aliases?: string[];
  ipamConfig?: { IPv4Address?: string; IPv6Address?: string };
}

export interface IsolationRecord {
  container: ContainerRef;
  networks: NetworkAttachment[];
  isolatedAt: string;
}

export interface LabelRecord {
  container: ContainerRef;
  labels: Record<string, string>;
  updatedAt: string;
}

/** the label a bare `label` action (and every isolation) records */
export const QUARANTINE_LABEL: Record<string, string> = { "airbag.quarantined": "true" };

const isolatedFile = (stateDir: string, id: string) =>
  join(stateDir, "isolated", `${safeFileId(id, "container id")}.json`);
const labelsFile = (stateDir: string, id: string) =>
  join(stateDir, "labels", `${safeFileId(id, "container id")}.json`);

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw inputError(
      `${file}: unreadable record (${(err as NodeJS.ErrnoException).code ?? "invalid JSON"})`,
      err,
    );
  }
}

export const readIsolation = (stateDir: string, id: string) =>
  readJson<IsolationRecord>(isolatedFile(stateDir, id));

/**
 * Record networks a container was taken off, merged with an earlier record: re-isolating a container
 * someone reconnected by hand must not forget where it originally was.
 */
export async function recordIsolation(
  stateDir: string,
  container: ContainerRef,
  networks: NetworkAttachment[],
  at: string,
): Promise<IsolationRecord> {
  const file = isolatedFile(stateDir, container.id);
  const old = await readJson<IsolationRecord>(file);
  const merged = [...(old?.networks ?? [])];
  for (const n of networks) if (!merged.some((m) => m.name === n.name)) merged.push(n);
  const record: IsolationRecord = { container, networks: merged, isolatedAt: old?.isolatedAt ?? at };
  await writeJsonAtomic(file, record);
  return record;
}

export const clearIsolation = (stateDir: string, id: string) =>
  rm(isolatedFile(stateDir, id), { force: true });

export const readLabels = (stateDir: string, id: string) => readJson<LabelRecord>(labelsFile(stateDir, id));

export async function recordLabels(
  stateDir: string,
  container: ContainerRef,
  labels: Record<string, string>,
  at: string,
): Promise<LabelRecord> {
  const file = labelsFile(stateDir, container.id);
  const old = await readJson<LabelRecord>(file);
  const record: LabelRecord = { container, labels: { ...old?.labels, ...labels }, updatedAt: at };
  await writeJsonAtomic(file, record);
  return record;
}

/** Drop labels (release drops the quarantine label); the file goes when none are left. */
export async function removeLabels(stateDir: string, id: string, keys: string[], at: string): Promise<void> {
  const file = labelsFile(stateDir, id);
  const old = await readJson<LabelRecord>(file);
  if (!old) return;
  const labels = Object.fromEntries(Object.entries(old.labels).filter(([k]) => !keys.includes(k)));
  if (Object.keys(labels).length === 0) await rm(file, { force: true });
  else await writeJsonAtomic(file, { ...old, labels, updatedAt: at });
}
