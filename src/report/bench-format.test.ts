import { describe, expect, it } from "vitest";
import { BOPTS, benchReport, renderB } from "../../test/support/bench-report-fixture.js";
import { AirbagError } from "../model/index.js";
import { BENCH_FORMATS, benchFormat, renderBench } from "./bench-format.js";

describe("bench formats", () => {
  it("renders every contract format (table|json|sarif|junit|html), each differently", () => {
    expect([...BENCH_FORMATS]).toEqual(["table", "json", "sarif", "junit", "html"]);
    const outs = BENCH_FORMATS.map((f) => renderB(f));
    expect(new Set(outs).size).toBe(BENCH_FORMATS.length);
    expect(outs[0]).toMatch(/^Benchmark:/);
    expect(JSON.parse(outs[1] as string)).toEqual(benchReport());
    expect((JSON.parse(outs[2] as string) as { version: string }).version).toBe("2.1.0");
    expect(outs[3]).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(outs[4]).toMatch(/^<!doctype html>/);
  });

  it("rejects an unknown format with a usage error naming the choices", () => {
    for (const bad of ["xml", "cyclonedx", "constructor", "toString", ""]) {
      let err: unknown;
      try {
        benchFormat(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(AirbagError);
      expect((err as AirbagError).code).toBe("USAGE");
      expect((err as Error).message).toContain("table, json, sarif, junit, html");
    }
    expect(() => renderBench(benchReport(), "pdf", BOPTS)).toThrow(AirbagError);
    expect(benchFormat("junit")).toBe("junit");
  });

  it("takes the tool version from the report unless given", () => {
    const sarif = (opts: Parameters<typeof renderBench>[2]) =>
      (
        JSON.parse(renderBench(benchReport(), "sarif", opts)) as {
          runs: { tool: { driver: { version: string } } }[];
        }
      ).runs[0]?.tool.driver.version;
    expect(sarif({ color: false })).toBe(benchReport().metadata.version);
    expect(sarif({ color: false, toolVersion: "9.9.9" })).toBe("9.9.9");
  });
});
