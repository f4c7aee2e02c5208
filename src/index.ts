export { type CatalogOptions, catalog, catalogSource } from "./scan.js";
export * from "./model/index.js";
export { openTarget, parseTarget } from "./image/index.js";
export { analyzers } from "./catalog/index.js";
