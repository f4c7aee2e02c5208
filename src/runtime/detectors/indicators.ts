import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type IndicatorPack, loadIndicatorPack } from "../../detect/malware/rule-pack.js";

/**
 * The runtime detectors' data: `data/rules/runtime/indicators.json` (what only a running process
 * shows: miner algorithm/coin options, shell names, runtime parent processes, scratch directories, the
 * CIS checks worth an alert) plus the malware pack's miner lists (names, ports, pool domains, stratum
 * schemes, miner-only options), so the image scan and the monitor judge miners from one list.
 */

export const RUNTIME_DATA_DIR = fileURLToPath(new URL("../../../data/rules/runtime/", import.meta.url));

export interface MinerConfidence {
  process: number;
  options: number;
  stratum: number;
  poolAddress: number;
  poolEndpoint: number;
  poolPort: number;
  cpu: number;
}

/** data/rules/runtime/indicators.json */
export interface RuntimeIndicatorFile {
  miner: {
    poolOptions: string[];
    algorithmOptions: string[];
    algorithms: string[];
    coinOptions: string[];
    coins: string[];
    secretOptions: string[];
    confidence: MinerConfidence;
  };
  shell: { binaries: string[]; runtimeParents: string[] };
  drift: { scratchDirs: string[] };
  riskyContainer: { checks: string[] };
}

export interface RuntimeIndicators extends RuntimeIndicatorFile {
  /** the malware pack (data/rules/malware/indicators.json) */
  malware: IndicatorPack;
}

let cached: RuntimeIndicators | undefined;

/** Both packs, read once per process (they are Airbag's own files). */
export function loadRuntimeIndicators(): RuntimeIndicators {
  cached ??= {
    ...(JSON.parse(readFileSync(`${RUNTIME_DATA_DIR}indicators.json`, "utf8")) as RuntimeIndicatorFile),
    malware: loadIndicatorPack(),
  };
  return cached;
}

/** `/usr/bin/xmrig` → `xmrig` */
export const baseName = (path: string): string => path.slice(path.lastIndexOf("/") + 1);
