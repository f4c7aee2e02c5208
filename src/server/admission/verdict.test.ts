import { describe, expect, it } from "vitest";
import type { SeverityCounts } from "../../model/index.js";
import { AirbagError } from "../../model/index.js";
import {
  type AdmissionPolicy,
  admissionPolicy,
  canonicalImage,
  DEFAULT_ADMISSION_POLICY,
  judgeImage,
} from "./verdict.js";

const D = `sha256:${"a".repeat(64)}`;
const counts = (c: Partial<SeverityCounts> = {}): SeverityCounts => ({
  critical: 0,
  high: 0,
  medium: 0,
  low: 0,
  unknown: 0,
  ...c,
});
const scanned = (c: Partial<SeverityCounts> = {}, signed?: boolean) => ({
  facts: {
    digest: D,
    summary: counts(c),
    scannedAt: "2026-11-29T10:00:00Z",
    ...(signed === undefined ? {} : { signed }),
  },
});
const policy = (p: Partial<AdmissionPolicy> = {}): AdmissionPolicy => ({ ...DEFAULT_ADMISSION_POLICY, ...p });

describe("admissionPolicy", () => {
  it("defaults: scan required, critical denies, fail closed", () => {
    expect(admissionPolicy()).toEqual({
      requireScan: true,
      requireSignature: false,
      maxSeverity: "critical",
      exempt: [],
      warnOnly: false,
      failurePolicy: "closed",
      allowUnchanged: true,
    });
  });

  it.each([
    [{ maxSeverity: "severe" }, "admission.maxSeverity"],
    [{ failurePolicy: "ignore" }, "admission.failurePolicy"],
    [{ warnOnly: "yes" }, "admission.warnOnly"],
    [{ exempt: "k8s.gcr.io/*" }, "admission.exempt"],
  ])("refuses %j naming the field", (o, field) => {
    expect(() => admissionPolicy(o as never)).toThrow(AirbagError);
    expect(() => admissionPolicy(o as never)).toThrow(field);
  });
});

describe("judgeImage", () => {
  it("denies an unscanned image when a scan is required, naming the queued job", () => {
    expect(judgeImage("app:1", { jobId: "j-7" }, policy())).toEqual({
      image: "app:1",
      allowed: false,
      reason: "not scanned; scan queued as job j-7",
    });
    expect(judgeImage("app:1", {}, policy({ requireScan: false })).allowed).toBe(true);
  });

  it("denies at or above maxSeverity and allows below it", () => {
    expect(judgeImage("app:1", scanned({ high: 3 }), policy()).allowed).toBe(true);
    const v = judgeImage("app:1", scanned({ critical: 2, high: 3, low: 9 }), policy({ maxSeverity: "high" }));
    expect(v).toEqual({
      image: "app:1",
      allowed: false,
      digest: D,
      reason: "2 critical, 3 high findings (policy denies high and above)",
    });
    expect(judgeImage("app:1", scanned({ critical: 1 }), policy()).reason).toBe(
      "1 critical finding (policy denies critical)",
    );
    expect(judgeImage("app:1", scanned({ critical: 5 }), policy({ maxSeverity: "none" })).allowed).toBe(true);
  });

  it("requires a verified signature when asked", () => {
    const p = policy({ requireSignature: true });
    expect(judgeImage("app:1", scanned({}, true), p).allowed).toBe(true);
    expect(judgeImage("app:1", scanned({}), p).reason).toBe("not signed");
    expect(judgeImage("app:1", scanned({}, false), p).reason).toBe("signature did not verify");
    expect(judgeImage("app:1", scanned({ critical: 1 }, false), p).reason).toBe(
      "1 critical finding (policy denies critical); signature did not verify",
    );
  });

  it("exempts images by glob, as written or fully qualified", () => {
    const p = policy({ exempt: ["docker.io/library/*", "registry.k8s.io/*"] });
    expect(judgeImage("nginx:1.25", {}, p)).toEqual({ image: "nginx:1.25", allowed: true, reason: "exempt" });
    expect(judgeImage("registry.k8s.io/pause:3.9", scanned({ critical: 1 }), p).allowed).toBe(true);
    expect(judgeImage("ghcr.io/x/y:1", {}, p).allowed).toBe(false);
  });

  it("canonicalImage qualifies Hub short names and keeps others", () => {
    expect(canonicalImage("nginx:1.25")).toBe("docker.io/library/nginx:1.25");
    expect(canonicalImage(`127.0.0.1:5000/app@${D}`)).toBe(`127.0.0.1:5000/app@${D}`);
    expect(canonicalImage("Not Valid")).toBeUndefined();
  });
});
