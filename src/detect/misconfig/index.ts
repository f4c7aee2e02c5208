/**
 * Image misconfiguration detectors (kind "misconfig"): one config scanner (stateless) and one file
 * scanner made per scan (it summarises across files; call `finish()` after the walk).
 */
export { CHECKS, type MisconfigCheck } from "./checks.js";
export { misconfigConfigScanner } from "./config-checks.js";
export {
  createMisconfigFileScanner,
  type FileCheckFinding,
  type MisconfigFileScanner,
} from "./file-checks.js";
