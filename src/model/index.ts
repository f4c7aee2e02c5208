export * from "./errors.js";
export * from "./finding.js";
export * from "./package.js";
export * from "./advisory.js";
