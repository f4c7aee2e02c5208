import type { BenchReport } from "../bench/types.js";
import { AirbagError } from "../model/index.js";
import { benchHtmlFormat } from "./bench-html.js";
import { benchJsonFormat } from "./bench-json.js";
import { benchJunitFormat } from "./bench-junit.js";
import { benchSarifFormat } from "./bench-sarif.js";
import { benchTableFormat } from "./bench-table.js";

export interface BenchRenderOptions {
  /** ANSI colours; only the table format uses them */
  color: boolean;
  /** generation time written into JUnit and HTML; injected so output is reproducible in tests */
  now?: Date;
  /** defaults to the version the report's metadata names */
  toolVersion?: string;
  /** JUnit: a `warn` check becomes a <failure> (default: a passing testcase with <system-out>) */
  warnAsFailure?: boolean;
}

/** Options as the formatters see them: the tool version resolved. */
export type ResolvedBenchOptions = BenchRenderOptions & { toolVersion: string };

/** One output format of `airbag bench`: a pure function from a bench report to text. */
export interface BenchFormatter {
  name: string;
  render(report: BenchReport, opts: ResolvedBenchOptions): string;
}

export const BENCH_FORMATS = ["table", "json", "sarif", "junit", "html"] as const;
export type BenchFormat = (typeof BENCH_FORMATS)[number];

export const benchFormats: Readonly<Record<BenchFormat, BenchFormatter>> = Object.freeze({
  table: benchTableFormat,
  json: benchJsonFormat,
  sarif: benchSarifFormat,
  junit: benchJunitFormat,
  html: benchHtmlFormat,
});

/** Throws the USAGE error for an unknown format; lets the CLI check `--format` before collecting. */
export function benchFormat(format: string): BenchFormat {
  // Object.hasOwn: "constructor"/"toString" must not resolve to prototype members
  if (!Object.hasOwn(benchFormats, format)) {
    throw new AirbagError(
      "USAGE",
      `--format: unknown bench format "${format}"; use one of ${BENCH_FORMATS.join(", ")}`,
    );
  }
  return format as BenchFormat;
}

export function renderBench(report: BenchReport, format: string, opts: BenchRenderOptions): string {
  const toolVersion = opts.toolVersion ?? report.metadata.version;
  return benchFormats[benchFormat(format)].render(report, { ...opts, toolVersion });
}
