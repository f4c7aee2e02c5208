import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIXTURES, recordingContext } from "../vulndb.testutil.js";
import { debianTrackerAdvisories } from "./debian-tracker.js";

const fixture = (f: string): unknown => JSON.parse(readFileSync(join(FIXTURES, "debian", f), "utf8"));

describe("Debian security tracker importer", () => {
  it("agrees with vunnel's own normalised output for the same tracker input", () => {
    const ours = debianTrackerAdvisories(fixture("vunnel-debian.json"), "debian.json", recordingContext());
    const { expected } = JSON.parse(readFileSync(join(FIXTURES, "expected/debian-vunnel.json"), "utf8")) as {
      expected: { release: string; id: string; package: string; version: string }[];
    };
    let compared = 0;
    for (const e of expected) {
      const eco = `Debian:${e.release.split(":")[1]}`;
      const aff = ours
        .find((a) => a.id === e.id)
        ?.affected.find((f) => f.ecosystem === eco && f.package === e.package);
      if (e.version === "0") {
        expect(aff, `${e.id} ${eco}: not affected`).toBeUndefined();
        continue;
      }
      if (!aff && e.id === "CVE-2012-0833") continue; // vunnel took this one from its legacy input, not debian.json
      const fixed = aff?.ranges[0]?.events.find((ev) => "fixed" in ev);
      expect(fixed ?? { open: true }, `${e.id} ${eco}`).toEqual(
        e.version === "None" ? { open: true } : { fixed: e.version },
      );
      compared++;
    }
    expect(compared).toBe(9);
  });

  it("maps releases, urgencies and statuses", () => {
    const [cve] = debianTrackerAdvisories(
      fixture("vunnel-debian.json"),
      "debian.json",
      recordingContext(),
    ).filter((a) => a.id === "CVE-2022-0456");
    expect(cve?.affected).toEqual([
      {
        ecosystem: "Debian:12",
        package: "chromium",
        versions: [],
        severity: "unknown",
        status: "fixed",
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "98.0.4758.80-1" }] }],
      },
      {
        ecosystem: "Debian:11",
        package: "chromium",
        versions: [],
        severity: "unknown",
        status: "fixed",
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "98.0.4758.80-1~deb11u1" }] }],
      },
      {
        ecosystem: "Debian:10",
        package: "chromium",
        versions: [],
        status: "end_of_life",
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      },
      {
        ecosystem: "Debian:9",
        package: "chromium",
        versions: [],
        status: "end_of_life",
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      },
    ]);
    expect(cve?.source).toBe("debian-tracker");
    expect(cve?.references).toEqual(["https://security-tracker.debian.org/tracker/CVE-2022-0456"]);
  });

  it("keeps open issues as affected with the urgency as severity (osv.dev's tracker sample)", () => {
    const list = debianTrackerAdvisories(fixture("osv-dev-mock.json"), "mock.json", recordingContext());
    expect(list.map((a) => a.id)).toEqual(["CVE-2016-1585", "CVE-2017-6507"]); // CVE-2014-1424: "0" everywhere
    const bookworm = list[0]?.affected.find((f) => f.ecosystem === "Debian:12");
    expect(bookworm).toMatchObject({ package: "apparmor", status: "affected", severity: "low" });
  });

  it("reads no-DSA reasons: ignored → will_not_fix, postponed → fix_deferred; undetermined is skipped", () => {
    const doc = {
      zlib: {
        "CVE-2023-45853": {
          description: "MiniZip in zlib through 1.3 has an integer overflow …",
          releases: {
            bookworm: { status: "open", urgency: "low", nodsa: "Minor issue", nodsa_reason: "ignored" },
            trixie: { status: "open", urgency: "medium**", nodsa: "Minor issue", nodsa_reason: "postponed" },
            bullseye: { status: "undetermined", urgency: "not yet assigned" },
            sid: { status: "resolved", fixed_version: "1:1.3.dfsg-1", urgency: "low" },
            hamm: { status: "open", urgency: "low" },
          },
        },
      },
    };
    const ctx = recordingContext();
    const [a] = debianTrackerAdvisories(doc, "t.json", ctx);
    expect(a?.affected.map((f) => [f.ecosystem, f.status, f.severity])).toEqual([
      ["Debian:12", "will_not_fix", "low"],
      ["Debian:13", "fix_deferred", "medium"],
    ]);
    expect(ctx.warnings).toEqual(["t.json: releases with unknown codenames skipped: hamm"]);
  });

  it("merges the packages of one CVE into one advisory", () => {
    const rel = { bookworm: { status: "resolved", fixed_version: "1.0-1", urgency: "high" } };
    const list = debianTrackerAdvisories(
      { a: { "CVE-2024-1": { releases: rel } }, b: { "CVE-2024-1": { releases: rel } } },
      "t",
      recordingContext(),
    );
    expect(list).toHaveLength(1);
    expect(list[0]?.affected.map((f) => f.package)).toEqual(["a", "b"]);
  });

  it("never throws on arbitrary JSON, and reports instead", () => {
    const ctx = recordingContext();
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (junk, release) => {
        debianTrackerAdvisories(junk, "fuzz.json", ctx);
        debianTrackerAdvisories(
          { p: { "CVE-2024-1": { releases: { bookworm: release } } }, q: junk },
          "fuzz.json",
          ctx,
        );
      }),
      { numRuns: 300 },
    );
  });
});
