export * from "./advisory.js";
export * from "./errors.js";
export * from "./finding.js";
export * from "./fleet.js";
export * from "./package.js";
export * from "./policy.js";
