import { describe, expect, it } from "vitest";
import {
  cleanReport,
  findPackage,
  ROPTS,
  renderR,
  report,
  SUPPRESS_REASON,
} from "../../test/support/report-fixture.js";
import type { Report } from "../model/index.js";

const ESC = "\u001b";
const table = (r: Report = report(), color = false): string => renderR("table", r, { ...ROPTS, color });
const lines = (s: string): string[] => s.split("\n");

describe("report table", () => {
  it("opens with the target block", () => {
    const out = table();
    expect(out).toMatch(/Target:\s+registry\.example\/shop\/api:1\.4 \(docker-archive\)/);
    expect(out).toMatch(/OS:\s+Debian GNU\/Linux 12 \(bookworm\)/);
    expect(out).toMatch(/Packages:\s+12/);
  });

  it("groups findings by package, OS packages before language packages", () => {
    const out = lines(table());
    const at = (re: RegExp): number => out.findIndex((l) => re.test(l));
    const os = at(/^OS packages$/);
    const lang = at(/^Language packages$/);
    const libssl = at(/^libssl3 3\.0\.11-1~deb12u2 \(deb, var\/lib\/dpkg\/status\)$/);
    const libc = at(/^libc6 2\.36-9\+deb12u3 /);
    const stdlib = at(/^stdlib 1\.21\.0 \(golang, usr\/local\/bin\/api\)$/);
    expect([os, libc, libssl, lang, stdlib].every((i) => i >= 0)).toBe(true);
    expect(os).toBeLessThan(libc);
    expect(libc).toBeLessThan(libssl);
    expect(libssl).toBeLessThan(lang);
    expect(lang).toBeLessThan(stdlib);
    // each group: its own header row, then its findings
    expect(out[libssl + 1]).toMatch(/^\s+ID\s+SEVERITY\s+STATUS\s+INSTALLED\s+FIXED\s+TITLE$/);
    expect(out[libssl + 2]).toMatch(
      /^\s+CVE-2023-5678\s+MEDIUM\s+fixed\s+3\.0\.11-1~deb12u2\s+3\.0\.13-1~deb12u1\s+Excessive/,
    );
    expect(out[libc + 2]).toMatch(/CVE-2010-4756\s+LOW\s+will_not_fix\s+2\.36-9\+deb12u3\s+-\s+The glob/);
    expect(out[stdlib + 2]).toMatch(
      /CVE-2023-44487\s+HIGH\s+fixed\s+1\.21\.0\s+1\.21\.3\s+\[KEV\] HTTP\/2 rapid reset/,
    );
  });

  it("aligns columns across all package groups and truncates long titles", () => {
    const out = lines(table());
    const rows = out.filter((l) => /^\s+CVE-\S+\s+(LOW|MEDIUM|HIGH)\b/.test(l));
    expect(rows).toHaveLength(3);
    const col = (l: string, word: string): number => l.indexOf(word);
    const header = out.find((l) => l.includes("SEVERITY") && l.includes("INSTALLED")) as string;
    for (const r of rows) expect(r.search(/\b(LOW|MEDIUM|HIGH)\b/)).toBe(col(header, "SEVERITY"));
    const glob = rows.find((r) => r.includes("CVE-2010-4756")) as string;
    expect(glob).toContain("…");
    expect(glob).not.toContain("crafted glob expressions");
  });

  it("lists secrets and misconfigurations in their own sections", () => {
    const out = table();
    expect(out).toMatch(
      /Secrets\n\n\s+SEVERITY\s+ID\s+LOCATION\s+DETAIL\n\s+CRITICAL\s+aws-access-key-id\s+app\/config\/\.env:3\s+AWS access key ID — AKIA\*+MPLE/,
    );
    expect(out).toMatch(/Misconfigurations\n\n.*\n\s+MEDIUM\s+CIS-DI-0001\s+-\s+Create a user/);
    expect(out).not.toContain("Malware");
  });

  it("totals per severity and lists suppressed findings with their reason", () => {
    const out = table();
    expect(out).toContain("Total: 5 (CRITICAL: 1, HIGH: 1, MEDIUM: 2, LOW: 1, UNKNOWN: 0), suppressed: 1");
    expect(out).toMatch(/Suppressed \(1\):\n\s+CVE-2024-0727\s+libssl3 3\.0\.11-1~deb12u2\s+/);
    expect(out).toContain(SUPPRESS_REASON);
    // a suppressed finding is not among the package rows
    expect(lines(out).filter((l) => l.includes("CVE-2024-0727"))).toHaveLength(1);
  });

  it("says clearly when nothing was found", () => {
    const out = table(cleanReport());
    expect(out).toContain("No vulnerabilities found.");
    expect(out).toContain("Total: 0 (CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0), suppressed: 0");
    expect(out).not.toContain("Suppressed (");
    expect(out).not.toContain("SEVERITY");
  });

  it("colours severities only when asked", () => {
    expect(table()).not.toContain(ESC);
    const coloured = table(report(), true);
    expect(coloured).toContain(`${ESC}[31mHIGH`); // red
    expect(coloured).toContain(`${ESC}[33mMEDIUM`); // yellow
    // colour never changes the text: stripped of escapes it is the plain table
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, "")).toBe(table());
  });

  it("neutralises control characters from package metadata and advisory text", () => {
    const r = report();
    const f = r.findings.find((x) => x.id === "CVE-2023-5678");
    if (f?.kind === "vulnerability") f.title = `evil${ESC}]0;owned\u0007\r\nnext`;
    findPackage(r, "libssl3").name = `libssl3${ESC}[2J`;
    const out = table(r);
    expect(out).not.toContain(ESC);
    expect(out).not.toContain("\r");
    expect(out).toContain("evil?]0;owned? next");
    expect(out).toContain("libssl3?[2J");
  });
});
