import { describe, expect, it } from "vitest";
import {
  BOPTS,
  benchReport,
  findCheck,
  HOSTILE_NAME,
  hostileBenchReport,
  renderB,
  SUPPRESS_REASON,
} from "../../test/support/bench-report-fixture.js";
import type { BenchReport } from "../bench/types.js";

const ESC = "\u001b";
const table = (r: BenchReport = benchReport(), color = false): string =>
  renderB("table", r, { ...BOPTS, color });
const lines = (r?: BenchReport): string[] => table(r).split("\n");
const rowOf = (ls: string[], id: string): number => ls.findIndex((l) => l.startsWith(`  ${id} `));

describe("bench table", () => {
  it("opens with benchmark, engine and host", () => {
    const out = table();
    expect(out).toMatch(/^Benchmark:\s+CIS Docker Benchmark 1\.6\.0$/m);
    expect(out).toMatch(/^Engine:\s+docker 18\.09\.1 \(unix:\/\/\/var\/run\/docker\.sock\)$/m);
    expect(out).toMatch(/^Host:\s+build-01$/m);
    expect(out).not.toMatch(/^Mode:/m);
    const offline = benchReport();
    offline.target = { offline: true };
    expect(table(offline)).toMatch(/^Mode:\s+offline/m);
    expect(table(offline)).not.toMatch(/^Engine:/m);
  });

  it("has one table per section in benchmark order, every check once with its result", () => {
    const ls = lines();
    const headings = ls.filter((l) => /^\d /.test(l));
    expect(headings).toEqual([
      "1 Host configuration",
      "2 Docker daemon configuration",
      "3 Docker daemon configuration files",
      "4 Container images and build file",
      "5 Container runtime",
      "6 Docker security operations",
      "7 Docker Swarm configuration",
    ]);
    for (const c of benchReport().checks) {
      const i = rowOf(ls, c.id);
      expect(i, c.id).toBeGreaterThan(0);
      expect(ls[i]).toMatch(
        new RegExp(`^  ${c.id.replace(/\./g, "\\.")}\\s+${c.result.toUpperCase()}\\s+${c.title}`),
      );
      // the row sits under its own section's heading
      const heading = ls
        .slice(0, i)
        .filter((l) => /^\d /.test(l))
        .pop();
      expect(heading?.split(" ")[0], c.id).toBe(c.id.split(".")[0]);
    }
    expect(ls[rowOf(ls, "6.1")]).toContain("(Manual)");
  });

  it("aligns RESULT and TITLE across all sections, evidence and items under TITLE", () => {
    const ls = lines();
    const headers = ls.filter((l) => /^ {2}ID\s+RESULT\s+TITLE$/.test(l));
    expect(headers).toHaveLength(7);
    const titleCol = (headers[0] as string).indexOf("TITLE");
    const resultCol = (headers[0] as string).indexOf("RESULT");
    for (const h of headers) expect(h.indexOf("TITLE")).toBe(titleCol);
    for (const c of benchReport().checks) {
      const row = ls[rowOf(ls, c.id)] as string;
      expect(row.indexOf(c.result.toUpperCase()), c.id).toBe(resultCol);
      expect(row.indexOf(c.title), c.id).toBe(titleCol);
    }
    const i = rowOf(ls, "5.5");
    expect(ls[i + 1]).toBe(`${" ".repeat(titleCol)}${findCheck(benchReport(), "5.5").evidence}`);
    expect(ls[i + 2]).toMatch(
      new RegExp(`^ {${titleCol}}FAIL  ci-runner \\(7d3e5b6a1f20\\)  Privileged: true$`),
    );
    expect(ls[i + 3]).toBe(`${" ".repeat(titleCol)}+ 2 passing`);
    expect(ls[i + 4]).toBe(`${" ".repeat(titleCol)}fix: Do not run containers with --privileged.`);
    // passing subjects are counted, not listed; a passing check lists none
    expect(ls.slice(i, rowOf(ls, "5.7")).join("\n")).not.toContain("web (3c3fcff6e624)");
    expect(ls[rowOf(ls, "5.10") + 2]).toMatch(/^ {2}5\.26 /);
  });

  it("keeps item columns aligned with a very long container name", () => {
    const r = benchReport();
    const long = `payments-worker-${"x".repeat(70)} (0123456789ab)`;
    findCheck(r, "5.5").items.push({ subject: long, result: "fail", evidence: "Privileged: true" });
    const ls = lines(r);
    const items = ls.filter((l) => /^\s+FAIL {2}\S/.test(l) && l.includes("Privileged: true"));
    expect(items).toHaveLength(2);
    expect(new Set(items.map((l) => l.indexOf("Privileged: true"))).size).toBe(1);
    expect(items[1]).toContain(long);
    // the long name does not widen the check table
    const header = ls.find((l) => l.startsWith("  ID ")) as string;
    expect(header).toBe(lines().find((l) => l.startsWith("  ID ")));
  });

  it("lists runtime components and vulnerabilities with the suppressed one and its reason", () => {
    const out = table();
    expect(out).toMatch(/^ {2}NAME\s+VERSION\s+COMMIT\s+SOURCE$/m);
    expect(out).toMatch(/^ {2}runc\s+1\.0\.0-rc6\s+96ec2177ae84\s+\/version$/m);
    expect(out).toMatch(/^ {2}engine \(docker\)\s+18\.09\.1/m);
    expect(out).toMatch(/^ {2}CVE-2019-5736\s+HIGH\s+runc\s+1\.0\.0-rc6\s+1\.0\.0-rc7\s+runc allows/m);
    expect(out).toMatch(/^ {2}CVE-2020-15257\s+MEDIUM\s+containerd\s+1\.2\.2\s+1\.3\.9/m);
    expect(out).toContain("Suppressed (1):");
    expect(out).toMatch(/^ {2}CVE-2019-19921\s+runc 1\.0\.0-rc6\s+vendor backport/m);
    expect(SUPPRESS_REASON.startsWith("vendor backport")).toBe(true);
    // worst first
    const vulns = out.slice(out.indexOf("Runtime vulnerabilities"));
    expect(vulns.indexOf("CVE-2019-5736")).toBeLessThan(vulns.indexOf("CVE-2020-15257"));
  });

  it("says when nothing was found, and when nothing could be matched", () => {
    const clean = benchReport();
    clean.findings = [];
    clean.suppressed = [];
    expect(table(clean)).toContain("No known vulnerabilities in the runtime components.");
    clean.components = [];
    expect(table(clean)).not.toContain("No known vulnerabilities");
    expect(table(clean)).toContain("No runtime component versions were found.");
    expect(table(clean)).not.toContain("Runtime components\n");
  });

  it("ends with the score line and the warnings", () => {
    const ls = lines();
    const score = ls.findIndex((l) => l.startsWith("Score:"));
    expect(ls[score]).toBe("Score: -3 (pass 6, fail 9, warn 4, info 3, skip 4) — 38% of scored checks pass");
    expect(ls[score + 1]).toBe(
      "warning: /etc/audit/audit.rules: permission denied; audit rules read from `auditctl -l`",
    );
  });

  it("colours only when asked, and the colours do not shift the columns", () => {
    expect(table(benchReport(), false)).not.toContain(ESC);
    const coloured = table(benchReport(), true);
    expect(coloured).toContain(`${ESC}[31m`); // red for FAIL
    expect(coloured).toContain(`${ESC}[32m`); // green for PASS
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, "")).toBe(table(benchReport(), false));
  });

  it("neutralises terminal control characters from hostile names and evidence", () => {
    const out = table(hostileBenchReport(), true);
    // the only escape sequences left are the SGR colours this renderer writes
    expect(out.replace(/\u001b\[[0-9;]*m/g, "")).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(out).not.toContain("\u001b[2J");
    expect(out).not.toContain("\u0007");
    expect(table(hostileBenchReport())).toContain(`"><script>alert('x')</script>?[2J?]0;owned?&amp;?`);
    expect(HOSTILE_NAME).toContain("\u001b");
  });
});
