import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BOPTS,
  benchReport,
  findCheck,
  hostileBenchReport,
  renderB,
} from "../../test/support/bench-report-fixture.js";
import type { BenchReport } from "../bench/types.js";
import { xmlAttr, xmlText } from "./bench-junit.js";

interface El {
  tag: string;
  attrib: Record<string, string>;
  text: string;
  children: El[];
}

// An independent, strict XML 1.0 parser (expat, through Python's standard library; python3 is a
// Debian package here): it rejects anything not well-formed, including characters XML forbids.
const PARSE = `
import sys, json, xml.etree.ElementTree as ET
def conv(e):
    return {"tag": e.tag, "attrib": dict(e.attrib), "text": e.text or "", "children": [conv(c) for c in e]}
try:
    root = ET.fromstring(sys.stdin.buffer.read())
except ET.ParseError as err:
    print(json.dumps({"error": str(err)})); sys.exit(0)
print(json.dumps(conv(root)))
`;
// Debian's own interpreter first: a version-manager shim in PATH costs half a second per call
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
function parseXml(xml: string): El {
  const out = JSON.parse(execFileSync(PYTHON, ["-c", PARSE], { input: xml, encoding: "utf8" })) as
    | El
    | { error: string };
  if ("error" in out) throw new Error(`not well-formed XML: ${out.error}`);
  return out;
}

const junit = (r: BenchReport = benchReport(), warnAsFailure = false): El =>
  parseXml(renderB("junit", r, { ...BOPTS, warnAsFailure }));
const child = (e: El, tag: string): El | undefined => e.children.find((c) => c.tag === tag);
const caseFor = (root: El, id: string): El =>
  root.children.flatMap((s) => s.children).find((c) => c.attrib.name?.startsWith(`${id} `)) as El;

describe("bench junit", () => {
  it("the parser rejects what is not XML (negative control)", () => {
    expect(() => parseXml("<a><b></a>")).toThrow(/well-formed/);
    expect(() => parseXml("<a>\u0001</a>")).toThrow(/well-formed/);
  });

  it("has a testsuite per section plus runtime components, with consistent counts", () => {
    const root = junit();
    expect(root.tag).toBe("testsuites");
    expect(root.children.map((s) => s.attrib.name)).toEqual([
      "1 Host configuration",
      "2 Docker daemon configuration",
      "3 Docker daemon configuration files",
      "4 Container images and build file",
      "5 Container runtime",
      "6 Docker security operations",
      "7 Docker Swarm configuration",
      "Runtime components",
    ]);
    for (const s of [root, ...root.children]) {
      const cases = s.tag === "testsuites" ? s.children.flatMap((x) => x.children) : s.children;
      expect(Number(s.attrib.tests), s.attrib.name).toBe(cases.length);
      expect(Number(s.attrib.failures), s.attrib.name).toBe(cases.filter((c) => child(c, "failure")).length);
      expect(Number(s.attrib.skipped), s.attrib.name).toBe(cases.filter((c) => child(c, "skipped")).length);
      expect(s.attrib.errors).toBe("0");
    }
    expect(root.children[0]?.attrib).toMatchObject({
      timestamp: "2024-05-06T12:00:00",
      hostname: "build-01",
    });
    expect(root.attrib.time).toBe("0.812");
  });

  it("has a testcase per check: failure for fail, skipped for skip, output for the rest", () => {
    const root = junit();
    const r = benchReport();
    for (const k of r.checks) {
      const tc = caseFor(root, k.id);
      expect(tc?.attrib, k.id).toMatchObject({
        name: `${k.id} ${k.title}`,
        classname: `cis-docker.${k.section}`,
      });
      expect(!!child(tc, "failure"), k.id).toBe(k.result === "fail");
      expect(!!child(tc, "skipped"), k.id).toBe(k.result === "skip");
      expect(!!child(tc, "system-out"), k.id).toBe(!["fail", "skip"].includes(k.result));
    }
    const failure = child(caseFor(root, "5.5"), "failure") as El;
    expect(failure.attrib).toEqual({ message: findCheck(r, "5.5").evidence, type: "fail" });
    expect(failure.text).toContain("FAIL ci-runner (7d3e5b6a1f20): Privileged: true");
    expect(failure.text).toContain("Remediation: Do not run containers with --privileged.");
    expect(child(caseFor(root, "7.1"), "skipped")?.attrib.message).toBe("swarm mode is inactive");
    expect(child(caseFor(root, "5.26"), "system-out")?.text).toContain("result WARN");
  });

  it("turns warnings into failures when asked", () => {
    const root = junit(benchReport(), true);
    const warned = benchReport().checks.filter((k) => k.result === "warn");
    for (const k of warned) expect(child(caseFor(root, k.id), "failure")?.attrib.type, k.id).toBe("warn");
    expect(Number(root.attrib.failures)).toBe(Number(junit().attrib.failures) + warned.length);
  });

  it("fails a runtime component on an unsuppressed vulnerability only", () => {
    const suite = junit().children.find((s) => s.attrib.name === "Runtime components") as El;
    const byName = Object.fromEntries(suite.children.map((c) => [c.attrib.name, c]));
    expect(Object.keys(byName)).toEqual([
      "engine 18.09.1",
      "containerd 1.2.2",
      "runc 1.0.0-rc6",
      "docker-init 0.18.0",
      "kernel 4.19.0-6-amd64",
    ]);
    const runc = child(byName["runc 1.0.0-rc6"] as El, "failure") as El;
    expect(runc.attrib).toEqual({ message: "CVE-2019-5736 (high)", type: "vulnerability" });
    expect(runc.text).toContain("CVE-2019-19921 (medium)");
    expect(runc.text).toContain("[suppressed: vendor backport");
    expect(child(byName["containerd 1.2.2"] as El, "failure")?.attrib.message).toBe(
      "CVE-2020-15257 (medium)",
    );
    expect(child(byName["engine 18.09.1"] as El, "failure")).toBeUndefined();
  });

  it("stays well-formed with markup, quotes, newlines and control characters in names", () => {
    const r = hostileBenchReport();
    findCheck(r, "5.5").evidence = `two\nlines\tand a "quote" & <tag> \ud800 lone surrogate`;
    const root = junit(r);
    const failure = child(caseFor(root, "5.5"), "failure") as El;
    // attribute values survive the parser's normalisation: newline and tab kept, not turned to spaces
    expect(failure.attrib.message).toBe(`two\nlines\tand a "quote" & <tag> \\ud800 lone surrogate`);
    expect(failure.text).toContain(`"><script>alert('x')</script>\\x1b[2J\\x1b]0;owned\\x07&amp;\\x00`);
    expect(root.attrib.name).toBe("airbag bench: CIS Docker Benchmark 1.6.0");
    expect(root.children[0]?.attrib.hostname).toContain("<script>");
  });

  it("escapes text and attributes", () => {
    expect(xmlText(`a<b>&c\u0000\u001b\u0085"`)).toBe(`a&lt;b&gt;&amp;c\\x00\\x1b\\x85"`);
    expect(xmlAttr(`"'\n\t\r<`)).toBe("&quot;&apos;&#10;&#9;&#13;&lt;");
    expect(xmlText("😀 ok")).toBe("😀 ok"); // a surrogate pair is a real character
  });
});
