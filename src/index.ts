export { analyzers } from "./catalog/index.js";
export { openTarget, parseTarget } from "./image/index.js";
export * from "./model/index.js";
export { type CatalogOptions, catalog, catalogSource } from "./scan.js";
export { compareVersions } from "./versioning/index.js";
