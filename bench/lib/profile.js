import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Where the time goes: self time per function in the newest V8 .cpuprofile of `dir` (main thread only;
 * "(idle)" is the main thread waiting, e.g. for zlib on the libuv pool). Rows: [function, ms, percent].
 */
export async function topSelfTime(dir, n = 12) {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile")).sort();
  if (files.length === 0) return { totalMs: 0, rows: [] };
  const p = JSON.parse(await readFile(join(dir, files.at(-1)), "utf8"));
  const nodes = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const cf = nodes.get(id).callFrame;
    const where = cf.url ? ` ${cf.url.split("/").slice(-2).join("/")}:${cf.lineNumber + 1}` : "";
    const key = `${cf.functionName || "(anonymous)"}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => [k, (us / 1000).toFixed(0), ((100 * us) / total).toFixed(1)]);
  return { totalMs: total / 1000, rows };
}
