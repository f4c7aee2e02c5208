import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

/** Typed-enough views of the Kubernetes objects in deploy/k8s, for the cross-reference tests. */

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked field by field in the tests
export type Obj = Record<string, any>;

export interface K8sDoc {
  file: string;
  kind: string;
  name: string;
  namespace?: string;
  obj: Obj;
}

/** Every YAML document of every file; a parse error or a document without kind/name throws. */
export function loadManifests(dir: string): K8sDoc[] {
  const out: K8sDoc[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
      const obj = doc.toJS() as Obj | null;
      if (!obj) continue;
      if (!obj.apiVersion || !obj.kind || !obj.metadata?.name)
        throw new Error(`${file}: a document lacks apiVersion, kind or metadata.name`);
      out.push({
        file,
        kind: obj.kind,
        name: obj.metadata.name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        obj,
      });
    }
  }
  return out;
}

export const WORKLOAD_KINDS = ["Deployment", "DaemonSet", "StatefulSet", "Job"];

export const podSpecOf = (d: K8sDoc): Obj => d.obj.spec.template.spec;

/** Containers and init containers of a workload. */
export const containersOf = (d: K8sDoc): Obj[] => [
  ...(podSpecOf(d).initContainers ?? []),
  ...(podSpecOf(d).containers ?? []),
];

/** Does a label selector (matchLabels only, as used here) select these labels? */
export const selects = (selector: Obj | undefined, labels: Obj | undefined): boolean =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
