import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { foldTrend, trendWindow } from "./common.js";
import { parseDatabaseUrl } from "./index.js";

describe("parseDatabaseUrl (--database)", () => {
  it("maps sqlite:, bare paths, postgres URLs and the XDG default", () => {
    expect(parseDatabaseUrl(undefined, { XDG_STATE_HOME: "/st" })).toEqual({
      kind: "sqlite",
      path: "/st/airbag/server.sqlite",
    });
    expect(parseDatabaseUrl("sqlite:/var/lib/a.db")).toEqual({ kind: "sqlite", path: "/var/lib/a.db" });
    expect(parseDatabaseUrl("sqlite:///var/lib/a.db")).toEqual({ kind: "sqlite", path: "/var/lib/a.db" });
    expect(parseDatabaseUrl("./rel.sqlite")).toEqual({ kind: "sqlite", path: "./rel.sqlite" });
    expect(parseDatabaseUrl("postgresql://u:p@127.0.0.1:5432/airbag")).toEqual({
      kind: "postgres",
      url: "postgresql://u:p@127.0.0.1:5432/airbag",
    });
  });

  it("rejects other schemes and broken URLs naming --database, without echoing a password", () => {
    for (const bad of ["mysql://x/y", "sqlite:", "postgres://u:secret@[nope"]) {
      let err: unknown;
      try {
        parseDatabaseUrl(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(AirbagError);
      expect((err as Error).message).toMatch(/^--database /);
      expect((err as Error).message).not.toContain("secret");
    }
  });
});

describe("severity trend folding", () => {
  it("counts each image once per day at its latest scan, including days without scans", () => {
    const now = Date.parse("2026-03-10T12:00:00Z");
    const { since, labels } = trendWindow(3, now);
    expect(since).toBe("2026-03-08T00:00:00.000Z");
    expect(labels).toEqual(["2026-03-08", "2026-03-09", "2026-03-10"]);
    const c = (critical: number) => ({ critical, high: 0, medium: 0, low: 0, unknown: 0 });
    const points = foldTrend(
      labels,
      [{ digest: "a", summary: c(5) }],
      [
        { digest: "a", scannedAt: "2026-03-09T01:00:00Z", summary: c(2) },
        { digest: "b", scannedAt: "2026-03-09T02:00:00Z", summary: c(1) },
        { digest: "a", scannedAt: "2026-03-09T03:00:00Z", summary: c(0) },
      ],
    );
    expect(points.map((p) => p.counts.critical)).toEqual([5, 1, 1]);
  });
});
