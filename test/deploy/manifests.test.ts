import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/policy-file.js";
import {
  containersOf,
  type K8sDoc,
  loadManifests,
  type Obj,
  podSpecOf,
  selects,
  WORKLOAD_KINDS,
} from "./k8s-docs.js";

/**
 * deploy/k8s: every document parses, and the objects agree with each other — selectors with labels,
 * Services with container ports, the webhook with the server Service and `/admission`, referenced
 * accounts, Secrets and ConfigMaps exist or are documented — and every container is least-privilege.
 */

const repo = join(import.meta.dirname, "..", "..");
const docs = loadManifests(join(repo, "deploy", "k8s"));
const readme = readFileSync(join(repo, "deploy", "README.md"), "utf8");
const version = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string }).version;

const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
const one = (kind: string, name: string, namespace?: string): K8sDoc => {
  const found = docs.filter((d) => d.kind === kind && d.name === name && d.namespace === namespace);
  expect(found, `${kind} ${namespace}/${name}`).toHaveLength(1);
  return found[0]!;
};
const workloads = docs.filter((d) => WORKLOAD_KINDS.includes(d.kind));
const workload = (component: string) => {
  const w = workloads.find(
    (d) => d.obj.spec.template.metadata.labels["app.kubernetes.io/component"] === component,
  );
  if (!w) throw new Error(`no workload for component ${component}`);
  return w;
};
/** The value after `flag` in a container's args. */
const argAfter = (c: Obj, flag: string): string | undefined => {
  const args = c.args as string[];
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};

describe("deploy/k8s manifests", () => {
  it("has every object the deployment needs", () => {
    const kinds = docs.map((d) => `${d.kind}/${d.name}`);
    for (const k of [
      "Namespace/airbag",
      "Namespace/airbag-agent",
      "Deployment/airbag-server",
      "Service/airbag-server",
      "Deployment/airbag-worker",
      "DaemonSet/airbag-agent",
      "ValidatingWebhookConfiguration/airbag-image-gate",
      "ServiceAccount/airbag-server",
      "NetworkPolicy/default-deny",
    ])
      expect(kinds).toContain(k);
    expect(argAfter(workload("server").obj.spec.template.spec.containers[0], "--database")).toBe(
      "$(AIRBAG_DATABASE_URL)",
    );
    expect(podSpecOf(workload("worker")).containers[0].args.slice(0, 2)).toEqual(["worker", "--database"]);
    const agent = podSpecOf(workload("agent")).containers[0];
    expect(agent.args[0]).toBe("monitor");
    // the agent token reaches the monitor through $AIRBAG_TOKEN from a Secret, never on the command line
    expect(agent.args).not.toContain("--token");
    expect(
      agent.env.find((e: { name: string }) => e.name === "AIRBAG_TOKEN")?.valueFrom?.secretKeyRef?.name,
    ).toBe("airbag-agent-token");
    expect(argAfter(agent, "--host")).toBe("$(NODE_NAME)");
  });

  it("puts namespaced objects only into namespaces it defines", () => {
    const namespaces = ofKind("Namespace").map((d) => d.name);
    const clusterScoped = [
      "Namespace",
      "ValidatingWebhookConfiguration",
      "ClusterRole",
      "ClusterRoleBinding",
    ];
    for (const d of docs) {
      if (clusterScoped.includes(d.kind)) expect(d.namespace, `${d.kind}/${d.name}`).toBeUndefined();
      else expect(namespaces, `${d.file}: ${d.kind}/${d.name}`).toContain(d.namespace);
    }
  });

  it("workload selectors match their pod template labels", () => {
    expect(workloads.length).toBeGreaterThanOrEqual(3);
    for (const w of workloads) {
      const sel = w.obj.spec.selector?.matchLabels;
      expect(Object.keys(sel ?? {}).length, w.name).toBeGreaterThan(0);
      expect(selects(sel, w.obj.spec.template.metadata.labels), w.name).toBe(true);
      // no two workloads in a namespace claim each other's pods
      for (const other of workloads)
        if (other !== w && other.namespace === w.namespace)
          expect(
            selects(sel, other.obj.spec.template.metadata.labels),
            `${w.name} selects ${other.name}`,
          ).toBe(false);
    }
  });

  it("each Service selects one workload and targets ports its containers expose", () => {
    for (const svc of ofKind("Service")) {
      const targets = workloads.filter(
        (w) =>
          w.namespace === svc.namespace &&
          selects(svc.obj.spec.selector, w.obj.spec.template.metadata.labels),
      );
      expect(
        targets.map((t) => t.name),
        svc.name,
      ).toHaveLength(1);
      const ports = podSpecOf(targets[0]!).containers.flatMap((c: Obj) => c.ports ?? []);
      for (const p of svc.obj.spec.ports) {
        const target = p.targetPort ?? p.port;
        const match = ports.find((cp: Obj) => cp.name === target || cp.containerPort === target);
        expect(match, `${svc.name} port ${p.port} → ${target}`).toBeDefined();
        expect(match.protocol ?? "TCP").toBe(p.protocol ?? "TCP");
      }
    }
  });

  it("the server listens on its container port, over TLS from a mounted Secret", () => {
    const server = podSpecOf(workload("server"));
    const c = server.containers[0];
    const port = Number(argAfter(c, "--listen")?.split(":").at(-1));
    expect(c.ports.map((p: Obj) => p.containerPort)).toContain(port);
    for (const flag of ["--tls-cert", "--tls-key"]) {
      const file = argAfter(c, flag)!;
      const mount = c.volumeMounts.find((m: Obj) => file.startsWith(`${m.mountPath}/`));
      expect(mount, flag).toBeDefined();
      expect(server.volumes.find((v: Obj) => v.name === mount.name).secret.secretName).toBe(
        "airbag-webhook-tls",
      );
    }
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      expect(probe.httpGet.path).toBe("/healthz");
      expect(probe.httpGet.scheme).toBe("HTTPS");
      expect(c.ports.map((p: Obj) => p.name)).toContain(probe.httpGet.port);
    }
  });

  it("the webhook calls POST /admission on the server Service, v1, 5 s, no side effects", () => {
    const hooks = ofKind("ValidatingWebhookConfiguration").flatMap((d) => d.obj.webhooks as Obj[]);
    expect(hooks.length).toBeGreaterThan(0);
    for (const h of hooks) {
      expect(h.name.split(".").length).toBeGreaterThanOrEqual(3);
      expect(h.admissionReviewVersions).toEqual(["v1"]);
      expect(h.sideEffects).toBe("None");
      expect(h.timeoutSeconds).toBe(5);
      expect(["Fail", "Ignore"]).toContain(h.failurePolicy);
      const ref = h.clientConfig.service;
      expect(ref.path).toBe("/admission");
      const svc = one("Service", ref.name, ref.namespace);
      expect(svc.obj.spec.ports.map((p: Obj) => p.port)).toContain(ref.port ?? 443);
      // the placeholder the README tells you to fill
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal placeholder in the YAML
      const placeholder = "${CA_BUNDLE}";
      expect(h.clientConfig.caBundle).toBe(placeholder);
      expect(readme).toContain(`envsubst '${placeholder}' < deploy/k8s/50-webhook.yaml`);
      // never gate Airbag's own namespaces or kube-system
      const excluded = h.namespaceSelector.matchExpressions.find(
        (e: Obj) => e.key === "kubernetes.io/metadata.name" && e.operator === "NotIn",
      ).values as string[];
      for (const ns of ["kube-system", ...ofKind("Namespace").map((d) => d.name)])
        expect(excluded).toContain(ns);
      // pods and the controllers that carry pod templates, on create and update
      const covered = (h.rules as Obj[]).flatMap((r) =>
        (r.resources as string[]).map((res) => `${r.apiGroups[0] || "core"}/${res}`),
      );
      for (const r of [
        "core/pods",
        "apps/deployments",
        "apps/statefulsets",
        "apps/daemonsets",
        "batch/jobs",
        "batch/cronjobs",
      ])
        expect(covered).toContain(r);
      for (const r of h.rules) expect(r.operations).toEqual(["CREATE", "UPDATE"]);
    }
  });

  it("every ServiceAccount referenced exists, holds no API token and is bound to no role", () => {
    for (const w of workloads) {
      const sa = podSpecOf(w).serviceAccountName;
      expect(sa, w.name).toBeDefined();
      expect(one("ServiceAccount", sa, w.namespace).obj.automountServiceAccountToken).toBe(false);
      expect(podSpecOf(w).automountServiceAccountToken).toBe(false);
    }
    // the minimum RBAC is none: Airbag never calls the Kubernetes API
    const bindings = docs.filter((d) => d.kind === "RoleBinding" || d.kind === "ClusterRoleBinding");
    expect(bindings.map((b) => b.name)).toEqual([]);
  });

  it("Secrets and ConfigMaps referenced exist or are documented in deploy/README.md with their keys", () => {
    const refs: { kind: string; name: string; key?: string; ns: string }[] = [];
    for (const w of workloads) {
      for (const c of containersOf(w))
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef)
            refs.push({ kind: "Secret", ...e.valueFrom.secretKeyRef, ns: w.namespace! });
          if (e.valueFrom?.configMapKeyRef)
            refs.push({ kind: "ConfigMap", ...e.valueFrom.configMapKeyRef, ns: w.namespace! });
        }
      for (const v of podSpecOf(w).volumes ?? []) {
        if (v.secret) refs.push({ kind: "Secret", name: v.secret.secretName, ns: w.namespace! });
        if (v.configMap) refs.push({ kind: "ConfigMap", name: v.configMap.name, ns: w.namespace! });
        if (v.persistentVolumeClaim)
          one("PersistentVolumeClaim", v.persistentVolumeClaim.claimName, w.namespace);
      }
    }
    expect(refs.length).toBeGreaterThanOrEqual(5);
    for (const r of refs) {
      if (docs.some((d) => d.kind === r.kind && d.name === r.name && d.namespace === r.ns)) continue;
      // documented: a row of the README's table naming it, its namespace and kind (and key)
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${r.name}\``));
      expect(row, `${r.kind} ${r.ns}/${r.name} is neither defined nor documented`).toBeDefined();
      expect(row).toContain(`\`${r.ns}\``);
      expect(row).toContain(r.kind);
      if (r.key) expect(row).toContain(`\`${r.key}\``);
    }
    // and no Secret with a value is committed
    expect(ofKind("Secret")).toEqual([]);
  });

  it("every $(VAR) in args is defined in the container's env, every mount names a volume", () => {
    for (const w of workloads)
      for (const c of containersOf(w)) {
        const env = (c.env ?? []).map((e: Obj) => e.name);
        for (const a of c.args ?? [])
          for (const m of String(a).matchAll(/\$\(([A-Z0-9_]+)\)/g))
            expect(env, `${c.name}: ${a}`).toContain(m[1]);
        const volumes = (podSpecOf(w).volumes ?? []).map((v: Obj) => v.name);
        for (const m of c.volumeMounts ?? []) expect(volumes, `${c.name}: ${m.name}`).toContain(m.name);
      }
  });

  it("every container: pinned release image, resource limits, no privilege escalation, caps dropped", () => {
    for (const w of workloads)
      for (const c of containersOf(w)) {
        const what = `${w.name}/${c.name}`;
        const [, tag] = /:([^/:@]+)(?:@sha256:[0-9a-f]{64})?$/.exec(c.image) ?? [];
        expect(tag, `${what}: ${c.image} has no tag`).toBeDefined();
        expect(tag, what).not.toBe("latest");
        expect(tag, `${what}: image tag follows package.json`).toBe(version);
        expect(c.resources?.limits?.cpu, what).toBeDefined();
        expect(c.resources?.limits?.memory, what).toBeDefined();
        expect(c.resources?.requests?.memory, what).toBeDefined();
        const sc = c.securityContext ?? {};
        expect(sc.allowPrivilegeEscalation, what).toBe(false);
        expect(sc.privileged ?? false, what).toBe(false);
        expect(sc.readOnlyRootFilesystem, what).toBe(true);
        expect(sc.capabilities?.drop, what).toEqual(["ALL"]);
        const pod = podSpecOf(w);
        expect(pod.securityContext?.seccompProfile?.type, what).toBe("RuntimeDefault");
        if (w.name === "airbag-agent") continue;
        expect(sc.capabilities?.add ?? [], what).toEqual([]);
        expect(pod.securityContext?.runAsNonRoot, what).toBe(true);
        expect(pod.securityContext?.runAsUser, what).toBe(10001); // the Containerfile's USER
        expect(pod.hostPID ?? false, what).toBe(false);
        expect(pod.hostNetwork ?? false, what).toBe(false);
        expect(
          (pod.volumes ?? []).filter((v: Obj) => v.hostPath),
          what,
        ).toEqual([]);
      }
  });

  it("the agent has exactly the privileges its comments justify, and nothing else", () => {
    const agent = workload("agent");
    const pod = podSpecOf(agent);
    const c = pod.containers[0];
    expect(agent.kind).toBe("DaemonSet");
    expect(pod.hostPID).toBe(true);
    expect(pod.hostNetwork).toBe(false);
    expect(pod.hostIPC).toBe(false);
    expect(c.securityContext.capabilities.add).toEqual(["SYS_PTRACE"]);
    const text = readFileSync(join(repo, "deploy", "k8s", agent.file), "utf8");
    for (const why of [
      "hostPID: true —",
      "CAP_SYS_PTRACE —",
      "runAsUser 0",
      "the engine socket —",
      "hostPath state",
    ])
      expect(text).toContain(why);
    // host paths: the engine socket (read-only mount, type Socket) and the agent's own state dir only
    const hostPaths = (pod.volumes as Obj[]).filter((v) => v.hostPath);
    expect(hostPaths.map((v) => v.hostPath.path).sort()).toEqual([
      "/run/docker.sock",
      "/var/lib/airbag-agent",
    ]);
    const socket = hostPaths.find((v) => v.hostPath.type === "Socket")!;
    const socketMount = c.volumeMounts.find((m: Obj) => m.name === socket.name);
    expect(socketMount.readOnly).toBe(true);
    expect(argAfter(c, "--engine")).toBe(`unix://${socketMount.mountPath}`);
    // reports go to the server Service
    const server = one("Service", "airbag-server", "airbag");
    expect(argAfter(c, "--server")).toBe(`https://airbag-server.airbag.svc:${server.obj.spec.ports[0].port}`);
  });

  it("the agent's policy ConfigMap is a valid Airbag policy, mounted where --policy points", async () => {
    const agentPod = podSpecOf(workload("agent"));
    const c = agentPod.containers[0];
    const policyPath = argAfter(c, "--policy")!;
    const mount = c.volumeMounts.find((m: Obj) => policyPath.startsWith(`${m.mountPath}/`));
    const cmName = agentPod.volumes.find((v: Obj) => v.name === mount.name).configMap.name;
    const cm = one("ConfigMap", cmName, "airbag-agent");
    const key = policyPath.slice(mount.mountPath.length + 1);
    const dir = mkdtempSync(join(tmpdir(), "airbag-deploy-policy-"));
    try {
      writeFileSync(join(dir, key), cm.obj.data[key]);
      const policy = await loadPolicy(join(dir, key));
      expect(policy.mode).toBe("dry-run");
      expect(policy.rules.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("network policies deny by default and open only ports the selected pods listen on", () => {
    const namespaces = ofKind("Namespace").map((d) => d.name);
    const policies = ofKind("NetworkPolicy");
    for (const ns of namespaces) {
      const deny = policies.find(
        (p) => p.namespace === ns && Object.keys(p.obj.spec.podSelector).length === 0,
      );
      expect(deny?.obj.spec.policyTypes, ns).toEqual(["Ingress", "Egress"]);
      expect(deny?.obj.spec.ingress ?? [], ns).toEqual([]);
      expect(deny?.obj.spec.egress ?? [], ns).toEqual([]);
    }
    const portsOf = (w: K8sDoc) =>
      podSpecOf(w).containers.flatMap((c: Obj) => (c.ports ?? []).map((p: Obj) => p.containerPort));
    for (const p of policies) {
      const sel = p.obj.spec.podSelector.matchLabels;
      if (!sel) continue;
      const selected = workloads.filter(
        (w) => w.namespace === p.namespace && selects(sel, w.obj.spec.template.metadata.labels),
      );
      expect(selected, `NetworkPolicy ${p.namespace}/${p.name} selects no pods`).toHaveLength(1);
      for (const rule of p.obj.spec.ingress ?? [])
        for (const port of rule.ports ?? []) expect(portsOf(selected[0]!), p.name).toContain(port.port);
      // egress to pods: the peer exists and listens on the port
      for (const rule of p.obj.spec.egress ?? [])
        for (const peer of rule.to ?? []) {
          const ns = peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"];
          if (!ns || !namespaces.includes(ns)) continue;
          const target = workloads.find(
            (w) =>
              w.namespace === ns &&
              selects(peer.podSelector?.matchLabels, w.obj.spec.template.metadata.labels),
          );
          expect(target, `${p.name}: egress peer in ${ns}`).toBeDefined();
          for (const port of rule.ports ?? []) expect(portsOf(target!)).toContain(port.port);
        }
    }
    // the agent may reach the server and DNS, nothing else
    const agentPolicy = policies.find((p) => p.name === "airbag-agent")!;
    expect(agentPolicy.obj.spec.egress.every((r: Obj) => (r.to ?? []).length > 0)).toBe(true);
  });
});
