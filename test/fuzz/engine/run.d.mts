export interface FuzzFailure {
  index: number;
  kind: "hang" | "crash" | "worker-error";
  error: string;
  file: string;
}
export interface FuzzSummary {
  parser: string;
  inputs: number;
  ok: number;
  rejected: number;
  slowestMs: number;
  slowestIndex: number;
  maxHeapGrowthMb?: number;
  failures: FuzzFailure[];
}
export function runFuzz(options: {
  targetsModule: string;
  parser: string;
  seed?: number;
  count?: number;
  start?: number;
  budgetMs?: number;
  heapLimitMb?: number;
  maxFailures?: number;
  failuresDir?: string;
}): Promise<FuzzSummary>;
export function describeFailures(s: FuzzSummary): string;
