import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  benchReport,
  findCheck,
  HOSTILE_NAME,
  hostileBenchReport,
  renderB,
  SUPPRESS_REASON,
} from "../../test/support/bench-report-fixture.js";
import type { BenchReport } from "../bench/types.js";

// An independent HTML tokenizer (Python's html.parser, python3 being a Debian package here): the
// start tags a browser would see, and the page's text with entities decoded.
const TOKENIZE = `
import sys, json
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True); self.tags = []; self.text = []
    def handle_starttag(self, tag, attrs): self.tags.append([tag, dict(attrs)])
    def handle_startendtag(self, tag, attrs): self.tags.append([tag, dict(attrs)])
    def handle_data(self, data): self.text.append(data)
p = P(); p.feed(sys.stdin.read()); p.close()
print(json.dumps({"tags": p.tags, "text": "".join(p.text)}))
`;
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const tokenize = (page: string) =>
  JSON.parse(execFileSync(PYTHON, ["-c", TOKENIZE], { input: page, encoding: "utf8" })) as {
    tags: [string, Record<string, string | null>][];
    text: string;
  };

const html = (r: BenchReport = benchReport()): string => renderB("html", r);

describe("bench html", () => {
  it("is one self-contained page: no script, no external resources, CSP pins the inline style", () => {
    const page = html();
    expect(page.startsWith("<!doctype html>")).toBe(true);
    const { tags } = tokenize(page);
    const names = tags.map(([t]) => t);
    expect(names).not.toContain("script");
    for (const banned of ["link", "iframe", "object", "embed", "img", "base", "form"])
      expect(names).not.toContain(banned);
    expect(tags.filter(([, a]) => "src" in a)).toEqual([]);
    expect(page).not.toMatch(/@import|url\(/i);
    // the only hrefs are http(s) advisory references
    for (const [t, a] of tags)
      if ("href" in a) expect([t, a.href]).toEqual(["a", expect.stringMatching(/^https?:\/\//)]);
    const csp = tags.find(([t, a]) => t === "meta" && a["http-equiv"] === "Content-Security-Policy")?.[1]
      .content;
    const css = page.slice(page.indexOf("<style>") + 7, page.indexOf("</style>"));
    const hash = createHash("sha256").update(css).digest("base64");
    expect(csp).toBe(`default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`);
  });

  it("shows score, counts, every section and check with evidence and subjects", () => {
    const { text, tags } = tokenize(html());
    expect(text).toContain("Score: -3 (pass 6, fail 9, warn 4, info 3, skip 4) — 38% of scored checks pass");
    for (const h of ["1 Host configuration", "5 Container runtime", "7 Docker Swarm configuration"])
      expect(text).toContain(h);
    const r = benchReport();
    for (const k of r.checks) {
      expect(
        tags.some(([t, a]) => t === "tr" && a.id === `check-${k.id}` && a.class === `check ${k.result}`),
        k.id,
      ).toBe(true);
      expect(text).toContain(k.title);
      expect(text).toContain(k.evidence);
    }
    expect(text).toContain("ci-runner (7d3e5b6a1f20) — Privileged: true");
    expect(text).toContain(findCheck(r, "5.5").remediation);
    expect(text).toContain("5.25 in 1.2.0"); // other CIS releases' ids
  });

  it("lists components, vulnerabilities with reference links, and the suppressed one with its reason", () => {
    const page = html();
    const { text, tags } = tokenize(page);
    expect(text).toContain("96ec2177ae841256168fcf76954f7177af9446eb");
    expect(tags).toContainEqual([
      "a",
      { class: "ref", href: "https://nvd.nist.gov/vuln/detail/CVE-2019-5736", rel: "noopener noreferrer" },
    ]);
    const suppressed = page.slice(page.indexOf('<table id="suppressed">'));
    expect(suppressed).toContain("CVE-2019-19921");
    expect(tokenize(suppressed).text).toContain(SUPPRESS_REASON);
    expect(
      page.slice(page.indexOf('<table id="vulnerabilities">'), page.indexOf("<h2>Suppressed")),
    ).not.toContain("CVE-2019-19921");
  });

  it("never links a non-web reference", () => {
    const r = benchReport();
    r.findings[0]!.references = ["javascript:alert(1)"];
    const { tags, text } = tokenize(html(r));
    expect(tags.filter(([, a]) => a.href?.startsWith("javascript:"))).toEqual([]);
    expect(text).toContain("CVE-2019-5736");
  });

  it("renders a hostile container name as text, never as markup", () => {
    const page = html(hostileBenchReport());
    const { tags, text } = tokenize(page);
    expect(tags.map(([t]) => t)).not.toContain("script");
    expect(page).not.toContain("<script>");
    // the exact name comes back out of the parser's text: escaped, not altered
    expect(text).toContain(`${HOSTILE_NAME} — Privileged: ${HOSTILE_NAME}`);
    // and no attribute was broken out of: every attribute the page has is one this renderer writes
    const allowed = new Set([
      "lang",
      "charset",
      "name",
      "content",
      "http-equiv",
      "class",
      "id",
      "href",
      "rel",
      "open",
    ]);
    for (const [, a] of tags) for (const k of Object.keys(a)) expect(allowed, k).toContain(k);
  });

  it("says when the runtime components have no known vulnerabilities", () => {
    const r = benchReport();
    r.findings = [];
    r.suppressed = [];
    expect(tokenize(html(r)).text).toContain("No known vulnerabilities in the runtime components.");
    r.components = [];
    expect(tokenize(html(r)).text).toContain("No runtime component versions were found.");
  });
});
