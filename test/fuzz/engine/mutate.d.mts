export interface Prng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}
export function prng(seed: number): Prng;
export function mutateBytes(r: Prng, seed: Buffer, seeds: readonly Buffer[]): Buffer;
export function mutateJson(r: Prng, doc: unknown): unknown;
export function mutant(
  seed: number,
  index: number,
  seeds: readonly Buffer[],
  kind: "bytes" | "text" | "json",
): Buffer;
