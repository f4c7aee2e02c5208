import { inputError } from "../../model/index.js";
import type { RuntimeDetector } from "../types.js";
import { type CryptominerOptions, createCryptominerDetector } from "./cryptominer.js";
import { createDriftDetector, type DriftOptions } from "./drift.js";
import { createImageTrustDetector, type ImageTrustOptions } from "./image-trust.js";
import { createNewCveDetector, type NewCveOptions } from "./new-cve.js";
import { createRiskyContainerDetector, type RiskyContainerOptions } from "./risky-container.js";
import { createShellDetector, type ShellOptions } from "./shell.js";

/**
 * The runtime detectors `airbag monitor` runs, by name. Each factory returns a fresh, stateful
 * instance. image-trust and new-cve need providers (scan verdicts, image inventories and the
 * database), so they run only when their options are given.
 */

export { type CryptominerOptions, createCryptominerDetector } from "./cryptominer.js";
export { createDriftDetector, type DriftOptions } from "./drift.js";
export {
  createImageTrustDetector,
  type ImageTrustOptions,
  type ImageVerdict,
  type ImageVerdicts,
} from "./image-trust.js";
export { createNewCveDetector, type NewCveOptions } from "./new-cve.js";
export { createRiskyContainerDetector, type RiskyContainerOptions } from "./risky-container.js";
export { createShellDetector, type ShellOptions } from "./shell.js";

export const RUNTIME_DETECTOR_NAMES = [
  "cryptominer",
  "shell",
  "drift",
  "risky-container",
  "image-trust",
  "new-cve",
] as const;
export type RuntimeDetectorName = (typeof RUNTIME_DETECTOR_NAMES)[number];

export interface RuntimeDetectorOptions {
  /** names to run (default: all whose providers are given) */
  only?: RuntimeDetectorName[];
  cryptominer?: CryptominerOptions;
  shell?: ShellOptions;
  drift?: DriftOptions;
  riskyContainer?: RiskyContainerOptions;
  imageTrust?: ImageTrustOptions;
  newCve?: NewCveOptions;
}

export function createRuntimeDetectors(o: RuntimeDetectorOptions = {}): RuntimeDetector[] {
  const want = (n: RuntimeDetectorName) => !o.only || o.only.includes(n);
  if (o.only?.includes("image-trust") && !o.imageTrust)
    throw inputError("detector image-trust needs image verdicts (scan results) to judge");
  if (o.only?.includes("new-cve") && !o.newCve)
    throw inputError("detector new-cve needs image inventories and a vulnerability database");
  const out: RuntimeDetector[] = [];
  if (want("cryptominer")) out.push(createCryptominerDetector(o.cryptominer));
  if (want("shell")) out.push(createShellDetector(o.shell));
  if (want("drift")) out.push(createDriftDetector(o.drift));
  if (want("risky-container")) out.push(createRiskyContainerDetector(o.riskyContainer));
  if (want("image-trust") && o.imageTrust) out.push(createImageTrustDetector(o.imageTrust));
  if (want("new-cve") && o.newCve) out.push(createNewCveDetector(o.newCve));
  return out;
}
