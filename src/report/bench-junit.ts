import type { BenchReport, CheckResult } from "../bench/types.js";
import type { BenchFormatter, ResolvedBenchOptions } from "./bench-format.js";
import { checksBySection, runtimeFindings } from "./bench-summary.js";

/**
 * `airbag bench --format junit`: JUnit XML as CI servers read it (Jenkins, GitLab, Azure DevOps): a
 * <testsuite> per CIS section, a <testcase> per check — <failure> for fail, <skipped> for skip, a
 * warning as <system-out> (or as a <failure> with `warnAsFailure`), evidence and subjects in the body —
 * and a "Runtime components" suite with a testcase per component that fails on a known vulnerability.
 */

// XML 1.0 cannot carry C0 controls other than tab/LF/CR at all, not even as character references;
// C1 controls and lone surrogates are legal or half-legal but break CI viewers. They come from
// container names and evidence (attacker-influenced), so they are written out visibly instead.
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const visible = (ch: string): string => {
  const code = ch.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
};

const TEXT: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
// in attributes, quotes end the value and literal tab/newline would be normalised to spaces
const ATTR: Record<string, string> = {
  ...TEXT,
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

export const xmlText = (s: string): string =>
  s.replace(NOT_XML, visible).replace(/[&<>]/g, (ch) => TEXT[ch] as string);
export const xmlAttr = (s: string | number): string =>
  String(s)
    .replace(NOT_XML, visible)
    .replace(/[&<>"'\t\n\r]/g, (ch) => ATTR[ch] as string);

const attrs = (a: Record<string, string | number | undefined>): string =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(v as string | number)}"`)
    .join("");

/** ISO 8601 without a zone, the form the Ant JUnit schema gives `timestamp`. */
const timestamp = (d: Date): string => d.toISOString().slice(0, 19);

interface Case {
  xml: string;
  failed: boolean;
  skipped: boolean;
}

function checkBody(k: CheckResult): string {
  const lines = [
    `${k.id} ${k.title}`,
    `Level ${k.level}, ${k.scored ? "Automated" : "Manual"}, severity ${k.severity}; result ${k.result.toUpperCase()}`,
    `Evidence: ${k.evidence}`,
    ...(k.items.length
      ? ["Subjects:", ...k.items.map((i) => `  ${i.result.toUpperCase()} ${i.subject}: ${i.evidence}`)]
      : []),
    ...(k.remediation ? [`Remediation: ${k.remediation}`] : []),
  ];
  return xmlText(lines.join("\n"));
}

function checkCase(k: CheckResult, warnAsFailure: boolean): Case {
  const open = `    <testcase${attrs({ name: `${k.id} ${k.title}`, classname: `cis-docker.${k.section}`, time: 0 })}>`;
  const failed = k.result === "fail" || (k.result === "warn" && warnAsFailure);
  let inner: string;
  if (failed) inner = `<failure${attrs({ message: k.evidence, type: k.result })}>${checkBody(k)}</failure>`;
  else if (k.result === "skip") inner = `<skipped${attrs({ message: k.evidence })}/>`;
  else inner = `<system-out>${checkBody(k)}</system-out>`;
  return { xml: `${open}\n      ${inner}\n    </testcase>`, failed, skipped: k.result === "skip" };
}

function suite(name: string, cases: Case[], extra: Record<string, string | undefined>): string {
  const head = attrs({
    name,
    tests: cases.length,
    failures: cases.filter((c) => c.failed).length,
    errors: 0,
    skipped: cases.filter((c) => c.skipped).length,
    time: 0,
    ...extra,
  });
  return `  <testsuite${head}>\n${cases.map((c) => c.xml).join("\n")}\n  </testsuite>`;
}

/** One testcase per runtime component (and per finding's component not in the list). */
function componentCases(report: BenchReport): Case[] {
  const all = runtimeFindings(report);
  const names = [...new Set([...report.components.map((c) => c.name), ...all.map((e) => e.finding.package)])];
  return names.map((name) => {
    const comp = report.components.find((c) => c.name === name);
    const version = comp?.version ?? all.find((e) => e.finding.package === name)?.finding.installedVersion;
    const label = [name, version].filter(Boolean).join(" ");
    const mine = all.filter((e) => e.finding.package === name);
    const active = mine.filter((e) => e.reason === undefined).map((e) => e.finding);
    const lines = [
      `${label}${comp?.commit ? ` (commit ${comp.commit})` : ""}${comp ? `, read from ${comp.source}` : ""}`,
      ...mine.map(
        ({ finding: f, reason }) =>
          `${f.id} (${f.severity})${f.fixedVersion ? `, fixed in ${f.fixedVersion}` : ""}${f.title ? `: ${f.title}` : ""}${reason ? ` [suppressed: ${reason}]` : ""}`,
      ),
    ];
    const body = xmlText(lines.join("\n"));
    const open = `    <testcase${attrs({ name: label, classname: "runtime-components", time: 0 })}>`;
    const failed = active.length > 0;
    const message = active.map((f) => `${f.id} (${f.severity})`).join(", ");
    const inner = failed
      ? `<failure${attrs({ message, type: "vulnerability" })}>${body}</failure>`
      : `<system-out>${body}</system-out>`;
    return { xml: `${open}\n      ${inner}\n    </testcase>`, failed, skipped: false };
  });
}

export function renderBenchJunit(report: BenchReport, opts: ResolvedBenchOptions): string {
  const warnAsFailure = opts.warnAsFailure ?? false;
  const extra = {
    timestamp: timestamp(opts.now ?? new Date()),
    hostname: report.target.hostname || undefined,
  };
  const groups = checksBySection(report.checks).map((g) => ({
    name: g.heading,
    cases: g.checks.map((k) => checkCase(k, warnAsFailure)),
  }));
  const components = componentCases(report);
  if (components.length) groups.push({ name: "Runtime components", cases: components });
  const cases = groups.flatMap((g) => g.cases);
  const root = attrs({
    name: `airbag bench: ${report.benchmark.name} ${report.benchmark.version}`,
    tests: cases.length,
    failures: cases.filter((c) => c.failed).length,
    errors: 0,
    skipped: cases.filter((c) => c.skipped).length,
    time: (report.metadata.durationMs / 1000).toFixed(3),
  });
  const suites = groups.map((g) => suite(g.name, g.cases, extra));
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${root}>\n${suites.join("\n")}\n</testsuites>\n`;
}

export const benchJunitFormat: BenchFormatter = { name: "junit", render: renderBenchJunit };
