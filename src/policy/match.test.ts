import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Detection, SEVERITIES, type Severity } from "../model/index.js";
import { globMatches, parseSeverityCondition, ruleMatches, severityMatches } from "./match.js";

const d = (over: Partial<Detection> = {}, container: Partial<Detection["container"]> = {}): Detection => ({
  detector: "cryptominer",
  id: "miner.stratum",
  kind: "runtime",
  severity: "high",
  title: "stratum URL in argv",
  container: {
    id: "0123abcd",
    name: "web-1",
    image: "nginx:1.25",
    labels: { team: "payments", env: "prod-eu" },
    ...container,
  },
  evidence: "stratum+tcp://pool:3333",
  at: "2026-01-01T00:00:00Z",
  ...over,
});

describe("globMatches", () => {
  it("* and ? are the only special characters", () => {
    expect(globMatches("web-*", "web-1")).toBe(true);
    expect(globMatches("web-?", "web-12")).toBe(false);
    expect(globMatches("web-??", "web-12")).toBe(true);
    expect(globMatches("*", "")).toBe(true);
    expect(globMatches("a.b", "axb")).toBe(false);
    expect(globMatches("a+(b)[c]{1}|^$\\", "a+(b)[c]{1}|^$\\")).toBe(true);
    expect(globMatches("Web-*", "web-1")).toBe(false);
    expect(globMatches("miner.*", "miner.stratum\nx")).toBe(true);
  });

  it("a glob without wildcards matches only itself", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        fc.string(),
        (lit, other) => {
          expect(globMatches(lit, lit)).toBe(true);
          expect(globMatches(lit, other)).toBe(lit === other);
          expect(globMatches(`*${lit}*`, `${other}${lit}${other}`)).toBe(true);
        },
      ),
    );
  });
});

describe("severity conditions", () => {
  it("parses comparators and bare words", () => {
    expect(parseSeverityCondition(">=high")).toEqual({ op: ">=", severity: "high" });
    expect(parseSeverityCondition(">= high")).toEqual({ op: ">=", severity: "high" });
    expect(parseSeverityCondition("high")).toEqual({ op: "=", severity: "high" });
    expect(parseSeverityCondition("=>high")).toBeUndefined();
    expect(parseSeverityCondition("High")).toBeUndefined();
  });

  it("orders critical > high > medium > low > unknown", () => {
    const order: Severity[] = ["unknown", "low", "medium", "high", "critical"];
    for (const a of order)
      for (const b of order) {
        const [ia, ib] = [order.indexOf(a), order.indexOf(b)];
        expect(severityMatches(`>=${b}`, a), `${a} >= ${b}`).toBe(ia >= ib);
        expect(severityMatches(`>${b}`, a)).toBe(ia > ib);
        expect(severityMatches(`<=${b}`, a)).toBe(ia <= ib);
        expect(severityMatches(`<${b}`, a)).toBe(ia < ib);
        expect(severityMatches(`=${b}`, a)).toBe(ia === ib);
        expect(severityMatches(b, a)).toBe(ia === ib);
      }
    expect(SEVERITIES).toHaveLength(order.length);
  });
});

describe("ruleMatches", () => {
  it("an empty when matches everything; every given field must hold", () => {
    expect(ruleMatches({}, d())).toBe(true);
    expect(ruleMatches({ detector: "cryptominer", severity: ">=high", kind: "runtime" }, d())).toBe(true);
    expect(ruleMatches({ detector: "cryptominer", severity: "critical" }, d())).toBe(false);
    expect(ruleMatches({ detector: "shell" }, d())).toBe(false);
  });

  it("arrays are any-of, ids are globs", () => {
    expect(ruleMatches({ detector: ["shell", "cryptominer"] }, d())).toBe(true);
    expect(ruleMatches({ id: "miner.*" }, d())).toBe(true);
    expect(ruleMatches({ id: ["CIS-5.*", "CVE-*"] }, d())).toBe(false);
    expect(ruleMatches({ kind: ["vulnerability"] }, d())).toBe(false);
  });

  it("names match with or without Docker's leading slash", () => {
    expect(ruleMatches({ name: "web-*" }, d())).toBe(true);
    expect(ruleMatches({ name: "web-*" }, d({}, { name: "/web-2" }))).toBe(true);
    expect(ruleMatches({ name: "db-*" }, d())).toBe(false);
  });

  it("images match as Docker and podman spell them; a pattern without a tag matches every tag", () => {
    expect(ruleMatches({ image: "nginx:1.25" }, d())).toBe(true);
    expect(ruleMatches({ image: "nginx" }, d())).toBe(true);
    expect(ruleMatches({ image: "nginx" }, d({}, { image: "docker.io/library/nginx:1.25" }))).toBe(true);
    expect(ruleMatches({ image: "nginx:1.*" }, d({}, { image: "docker.io/library/nginx:1.25" }))).toBe(true);
    expect(ruleMatches({ image: "nginx:2" }, d())).toBe(false);
    expect(ruleMatches({ image: "nginxx" }, d())).toBe(false);
    expect(ruleMatches({ image: "app" }, d({}, { image: "localhost/app:dev" }))).toBe(true);
    expect(ruleMatches({ image: "ghcr.io/acme/*" }, d({}, { image: "ghcr.io/acme/api@sha256:abcd" }))).toBe(
      true,
    );
    expect(ruleMatches({ image: "registry:5000/app" }, d({}, { image: "registry:5000/app:1" }))).toBe(true);
    expect(ruleMatches({ image: "registry:5000/app" }, d({}, { image: "registry:5000/other:1" }))).toBe(
      false,
    );
  });

  it("labels: every listed key present, value exact or glob", () => {
    expect(ruleMatches({ labels: { team: "payments" } }, d())).toBe(true);
    expect(ruleMatches({ labels: { team: "payments", env: "prod-*" } }, d())).toBe(true);
    expect(ruleMatches({ labels: { env: "prod" } }, d())).toBe(false);
    expect(ruleMatches({ labels: { owner: "*" } }, d())).toBe(false);
    expect(ruleMatches({ labels: { team: "*" } }, d({}, { labels: undefined }))).toBe(false);
    expect(ruleMatches({ labels: { toString: "*" } }, d())).toBe(false);
  });
});
