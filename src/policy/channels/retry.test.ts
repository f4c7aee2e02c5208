import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, retryPlan } from "./retry.js";

describe("retry timing", () => {
  const plan = retryPlan({ backoffMs: 100, maxBackoffMs: 1000 });

  it("doubles per retry, jittered within [step/2, step], capped", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(plan, n, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3].map((n) => backoffDelay(plan, n, () => 0))).toEqual([50, 100, 200]);
  });

  it("reads Retry-After as seconds or an HTTP-date", () => {
    const now = Date.parse("2026-11-29T08:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Sun, 29 Nov 2026 08:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sun, 29 Nov 2026 07:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("defaults: 3 retries, the channel's own count wins", () => {
    expect(retryPlan({}).retries).toBe(3);
    expect(retryPlan({ retries: 1 }, 5).retries).toBe(5);
    expect(retryPlan({ retries: 1 }, 0).retries).toBe(0);
  });
});
