export {
  type BenchOptions,
  type BenchReport,
  bench,
  benchGate,
  type CheckResult,
  type RuntimeComponent,
  selectChecks,
} from "./bench/index.js";
export { analyzers } from "./catalog/index.js";
export { openTarget, parseTarget } from "./image/index.js";
export { matchInventory } from "./match/matcher.js";
export * from "./model/index.js";
export { renderBench } from "./report/bench-format.js";
export { renderInventory } from "./report/format.js";
export { renderReport } from "./report/report-format.js";
export {
  type CatalogOptions,
  catalog,
  catalogSource,
  defaultDbPath,
  gateTripped,
  type ScanOptions,
  scan,
} from "./scan.js";
export { compareVersions } from "./versioning/index.js";
export { importIntoDatabase, VulnDb } from "./vulndb/index.js";
