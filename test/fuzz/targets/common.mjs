/** What the targets share: the built library (dist/) and the definition of a clean failure. */
export const DIST = new URL("../../../dist/", import.meta.url);

export const load = (path) => import(new URL(path, DIST).href);

const { AirbagError } = await load("model/index.js");

/** Bad input must surface as an AirbagError with a one-line message naming the problem. */
export const cleanAirbagError = (err) =>
  err instanceof AirbagError && typeof err.message === "string" && !err.message.includes("\n");

/** For parsers whose contract is "never throws": no exception is clean. */
export const neverThrows = () => false;

/** Bytes as the JSON a network peer would send; undefined when it is not JSON (the HTTP layer's job). */
export function jsonBody(buf) {
  try {
    return JSON.parse(buf.toString("utf8"));
  } catch {
    return undefined;
  }
}

export async function* chunks(buf, size = 4096) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
