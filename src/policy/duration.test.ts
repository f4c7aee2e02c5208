import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DURATION_PATTERN, formatDuration, MAX_DURATION_MS, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it("reads the units the policy language uses", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("0s")).toBe(0);
    expect(parseDuration(" 5m ")).toBe(300_000);
  });

  it("refuses what is not a duration, and absurd lengths", () => {
    for (const bad of ["", "15", "m", "15 m", "1.5h", "-1s", "15min", "1w", "2H", "1h 30m", "∞s"])
      expect(parseDuration(bad), bad).toBeUndefined();
    expect(parseDuration("367d")).toBeUndefined();
    expect(parseDuration("99999999999999999999s")).toBeUndefined();
    expect(parseDuration("366d")).toBe(MAX_DURATION_MS);
  });

  it("agrees with the schema's pattern and round-trips through formatDuration", () => {
    const schemaPattern = /^(?:[0-9]+(?:ms|s|m|h|d))+$/; // schemas/policy.schema.json $defs.duration
    expect(DURATION_PATTERN.source).toBe(schemaPattern.source.replace("[0-9]", "\\d"));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const ms = parseDuration(s);
        if (ms === undefined) return;
        expect(Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_DURATION_MS).toBe(true);
        expect(schemaPattern.test(s.trim())).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 99 }), fc.constantFrom("ms", "s", "m", "h")), {
          minLength: 1,
          maxLength: 4,
        }),
        (parts) => {
          const text = parts.map(([n, u]) => `${n}${u}`).join("");
          const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
          expect(parseDuration(text)).toBe(parts.reduce((a, [n, u]) => a + n * unit[u]!, 0));
        },
      ),
    );
  });

  it("formats for tables", () => {
    expect(formatDuration(900_000)).toBe("15m");
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(1_500)).toBe("1s500ms");
    expect(formatDuration(0)).toBe("0s");
  });
});
