export { assignmentsIn, createSecretConfigScanner } from "./config.js";
export { maskSecret } from "./mask.js";
export { builtinSecretRules, loadSecretRules, parseSecretRules, type SecretRulePack } from "./rules.js";
export {
  createSecretScanner,
  type SecretHit,
  type SecretScanner,
  type SecretScannerOptions,
} from "./scanner.js";
