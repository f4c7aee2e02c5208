import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectingSink, FIXTURES, recordingContext } from "../vulndb.testutil.js";
import { parseEpssText } from "./epss.js";
import { kevEntries } from "./kev.js";

const text = (f: string) => readFileSync(join(FIXTURES, f), "utf8");

describe("CISA KEV importer", () => {
  it("reads the catalog: dates, ransomware use, vendor/product; skips entries without a CVE", () => {
    const ctx = recordingContext();
    const list = kevEntries(JSON.parse(text("kev/known_exploited_vulnerabilities.json")), "kev.json", ctx);
    expect(list).toEqual([
      {
        cve: "CVE-2021-44228",
        ransomware: true,
        dateAdded: "2021-12-10",
        dueDate: "2021-12-24",
        vendor: "Apache",
        product: "Log4j2",
        name: "Apache Log4j2 Remote Code Execution Vulnerability",
      },
      expect.objectContaining({ cve: "CVE-2021-3156", ransomware: false, dateAdded: "2022-04-06" }),
    ]);
    expect(ctx.warnings).toEqual(["kev.json: vulnerabilities[2].cveID missing or not a CVE id; skipped"]);
  });

  it("never throws on arbitrary JSON, and reports instead", () => {
    const ctx = recordingContext();
    fc.assert(
      fc.property(fc.jsonValue(), (junk) => {
        kevEntries(junk, "fuzz.json", ctx);
        kevEntries({ vulnerabilities: [junk] }, "fuzz.json", ctx);
      }),
    );
  });
});

describe("EPSS importer", () => {
  it("reads the model line, the header and the rows; bad rows are warnings", () => {
    const ctx = recordingContext();
    const c = collectingSink();
    const counts = parseEpssText(text("epss/epss_scores-sample.csv"), "epss.csv", c.sink, ctx);
    expect(counts).toEqual({
      records: 4,
      skipped: 2,
      modelVersion: "v2025.03.14",
      scoreDate: "2025-06-01T12:55:00Z",
    });
    expect(c.epss[0]).toEqual({ cve: "CVE-2014-0160", score: 0.94467, percentile: 0.99991 });
    expect(ctx.warnings).toEqual([
      "epss.csv:7: not an EPSS row (cve,epss,percentile); skipped",
      "epss.csv:8: not an EPSS row (cve,epss,percentile); skipped",
    ]);
  });

  it("accepts CRLF line ends and a headerless file in the documented column order", () => {
    const c = collectingSink();
    parseEpssText("CVE-2024-0001,0.5,0.9\r\nCVE-2024-0002,0.25,0.5\r\n", "x.csv", c.sink, recordingContext());
    expect(c.epss.map((e) => e.cve)).toEqual(["CVE-2024-0001", "CVE-2024-0002"]);
  });

  it("never throws on arbitrary text", () => {
    const ctx = recordingContext();
    fc.assert(
      fc.property(fc.string(), (junk) => void parseEpssText(junk, "fuzz.csv", collectingSink().sink, ctx)),
    );
  });
});
