import type { ReportFormatter } from "./report-format.js";

/**
 * `airbag scan --format json`: the Report exactly as `scan()` returns it (the contract in BRIEF.md,
 * schema in schemas/report.schema.json), suppressed findings and their reasons included.
 */
export const reportJsonFormat: ReportFormatter = {
  name: "json",
  render: (report) => `${JSON.stringify(report, null, 2)}\n`,
};
