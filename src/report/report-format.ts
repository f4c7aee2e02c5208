import { AirbagError, type Report } from "../model/index.js";
import type { RenderOptions } from "./format.js";
import { reportCyclonedxFormat } from "./report-cyclonedx.js";
import { reportHtmlFormat } from "./report-html.js";
import { reportJsonFormat } from "./report-json.js";
import { reportSarifFormat } from "./report-sarif.js";
import { reportTableFormat } from "./report-table.js";
import { renderSpdx } from "./spdx.js";

/** One output format of `airbag scan`: a pure function from a scan report to text. */
export interface ReportFormatter {
  name: string;
  render(report: Report, opts: RenderOptions): string;
}

// SPDX 2.3 has no vulnerability model: `scan --format spdx` is the SBOM of the scanned image, so a
// pipeline can get both documents from one scan.
const reportSpdxFormat: ReportFormatter = {
  name: "spdx",
  render: (report, opts) => renderSpdx(report, opts),
};

export const reportFormats: Readonly<Record<string, ReportFormatter>> = Object.freeze({
  table: reportTableFormat,
  json: reportJsonFormat,
  sarif: reportSarifFormat,
  cyclonedx: reportCyclonedxFormat,
  spdx: reportSpdxFormat,
  html: reportHtmlFormat,
});

/** Throws the USAGE error for an unknown format; lets the CLI check `--format` before a long scan. */
export function reportFormatter(format: string): ReportFormatter {
  // Object.hasOwn: "constructor"/"toString" must not resolve to prototype members
  const formatter = Object.hasOwn(reportFormats, format) ? reportFormats[format] : undefined;
  if (!formatter) {
    throw new AirbagError(
      "USAGE",
      `--format: unknown report format "${format}"; use one of ${Object.keys(reportFormats).join(", ")}`,
    );
  }
  return formatter;
}

export function renderReport(format: string, report: Report, opts: RenderOptions): string {
  return reportFormatter(format).render(report, opts);
}
