export { buildDatabase, DbWriter } from "./build.js";
export { cvss2BaseScore, cvss3BaseScore, cvssFromVector, cvssVersion } from "./cvss.js";
export type { ImportContext, ImportStats } from "./importers/index.js";
export { importIntoDatabase, importPath } from "./importers/index.js";
export { SCHEMA_VERSION } from "./schema.js";
export { VulnDb } from "./store.js";
export type { AdvisorySink, DbStatus, Enrichment, EpssEntry, KevEntry, UpsertMode } from "./types.js";
export { packageKey } from "./types.js";
