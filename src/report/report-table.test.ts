import { describe, expect, it } from "vitest";
import {
  cleanReport,
  findPackage,
  LAYER1,
  LAYER2,
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
      /Secrets\n\n\s+SEVERITY\s+ID\s+LOCATION\s+MATCH\s+DETAIL\n\s+CRITICAL\s+aws-access-key-id\s+app\/config\/\.env:3\s+AKIA\*{12}MPLE\s+AWS access key ID/,
    );
    expect(out).toMatch(/Misconfigurations\n\n.*\n\s+MEDIUM\s+CIS-DI-0001\s+-\s+Create a user/);
    expect(out).not.toContain("Malware");
  });

  it("shows a masked secret whole, however long the title and evidence", () => {
    const r = report();
    const key = `b3Bl${"*".repeat(32)}ZAE=`;
    r.findings.push({
      kind: "secret",
      id: "private-key",
      severity: "critical",
      title: "Private key (not encrypted)",
      location: { path: "root/.ssh/id_ed25519", layer: LAYER2, line: 1 },
      match: key,
      evidence: "rule private-key: OpenSSH private key, cipher none (not encrypted)",
    });
    const row = lines(table(r)).find((l) => l.includes("root/.ssh/id_ed25519")) as string;
    expect(row).toContain(key);
  });

  it("says where config findings are and that a deleted file still ships, naming its layer", () => {
    const r = report();
    r.findings.push(
      {
        kind: "secret",
        id: "aws-secret-access-key",
        severity: "critical",
        title: "AWS secret access key",
        location: { path: "root/.aws/credentials", layer: LAYER1, line: 5 },
        deleted: true,
        match: "Bp7L********************************mUhu",
      },
      {
        kind: "malware",
        id: "miner.stratum-url",
        severity: "critical",
        title: "Stratum mining-pool URL",
        field: "config.Entrypoint",
        evidence: "stratum+tcp://pool.example:3333",
      },
    );
    const out = lines(table(r));
    expect(out.find((l) => l.includes("aws-secret-access-key"))).toMatch(
      /root\/\.aws\/credentials:5 \(deleted later; still in layer 1\)\s+Bp7L\*+mUhu/,
    );
    const malware = out.indexOf("Malware");
    expect(malware).toBeGreaterThan(0);
    expect(out[malware + 3]).toMatch(
      /^\s+CRITICAL\s+miner\.stratum-url\s+config\.Entrypoint\s+Stratum mining-pool URL — stratum\+tcp:/,
    );
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

  it("does not claim 'no vulnerabilities' when the vuln scanner did not run", () => {
    const clean = cleanReport();
    const out = table({ ...clean, metadata: { ...clean.metadata, scanners: ["secret", "malware"] } });
    expect(out).not.toContain("No vulnerabilities found.");
    expect(table({ ...clean, metadata: { ...clean.metadata, scanners: ["vuln"] } })).toContain(
      "No vulnerabilities found.",
    );
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
