import type { BenchCheck } from "../types.js";

/**
 * CIS 1.2.2 "Ensure that the version of Docker is up to date" is Manual in CIS and a date guess in
 * docker-bench; here it is decided by the runtime components' known vulnerabilities (engine, runc,
 * crun, containerd) matched against the advisory data.
 */
export const RUNTIME_VERSION_CHECK: BenchCheck = {
  id: "1.2.2",
  title: "Ensure that the version of Docker is up to date",
  section: "host",
  level: 1,
  scored: false,
  severity: "high",
  remediation:
    "Upgrade the engine, runc/crun and containerd to releases that fix the listed vulnerabilities (distro security updates count).",
  run(ctx) {
    const comps = ctx.components.filter((c) => c.name !== "kernel");
    if (comps.length === 0) return { result: "skip", evidence: "no runtime component versions known" };
    const versions = comps.map((c) => `${c.name} ${c.version}`).join(", ");
    const found = ctx.runtimeFindings;
    if (!found) return { result: "info", evidence: `${versions}; not matched against advisories` };
    if (found.length === 0) return { result: "pass", evidence: `no known vulnerability in ${versions}` };
    const byComp = new Map<string, string[]>();
    for (const f of found) byComp.set(f.package, [...(byComp.get(f.package) ?? []), f.id]);
    return {
      result: "fail",
      evidence: `${found.length} known vulnerabilities: ${[...byComp].map(([c, ids]) => `${c} ${ids.slice(0, 4).join(", ")}${ids.length > 4 ? ", …" : ""}`).join("; ")}`,
      items: found.map((f) => ({
        subject: `${f.package} ${f.installedVersion}`,
        result: "fail" as const,
        evidence: `${f.id} (${f.severity})${f.fixedVersion ? `, fixed in ${f.fixedVersion}` : ""}`,
      })),
    };
  },
};
