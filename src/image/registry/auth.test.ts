import { describe, expect, it } from "vitest";
import { parseChallenges } from "./auth.js";
import { retryAfterMs } from "./http.js";

describe("parseChallenges", () => {
  it("reads docker's Bearer challenge", () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/debian:pull",
        },
      },
    ]);
  });

  it("reads several challenges, unquoted values and escapes", () => {
    expect(
      parseChallenges('Basic realm="Registry \\"x\\"", Bearer realm=https://t/x, error=insufficient_scope'),
    ).toEqual([
      { scheme: "basic", params: { realm: 'Registry "x"' } },
      { scheme: "bearer", params: { realm: "https://t/x", error: "insufficient_scope" } },
    ]);
  });

  it("keeps commas inside quoted scopes", () => {
    expect(parseChallenges('Bearer realm="r",scope="repository:a:pull,push"')[0]?.params.scope).toBe(
      "repository:a:pull,push",
    );
  });

  it("gives nothing for an absent or empty header", () => {
    expect(parseChallenges(undefined)).toEqual([]);
    expect(parseChallenges("")).toEqual([]);
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates (RFC 9110 §10.2.3)", () => {
    expect(retryAfterMs("3")).toBe(3000);
    const now = Date.parse("Sun, 29 Nov 2026 04:00:00 GMT");
    expect(retryAfterMs("Sun, 29 Nov 2026 04:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Sun, 29 Nov 2026 03:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
