import { createHash } from "node:crypto";
import type { Location } from "../model/index.js";

// package-url spec: https://github.com/package-url/purl-spec/blob/master/PURL-SPECIFICATION.rst
// a lone UTF-16 surrogate (JSON allows "\ud800") makes encodeURIComponent throw URIError, which took
// a whole lockfile's packages down with it: it becomes U+FFFD, as a UTF-8 decoder would make it
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const encode = (s: string): string =>
  encodeURIComponent(s.replace(LONE_SURROGATE, "\ufffd")).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

export interface PurlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
  subpath?: string;
}

export function buildPurl(p: PurlParts): string {
  let s = `pkg:${p.type}/`;
  if (p.namespace) s += `${p.namespace.split("/").map(encode).join("/")}/`;
  s += encode(p.name);
  if (p.version) s += `@${encode(p.version)}`;
  const q = Object.entries(p.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== "")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (q.length) s += `?${q.map(([k, v]) => `${k.toLowerCase()}=${encode(v)}`).join("&")}`;
  if (p.subpath) s += `#${p.subpath.split("/").map(encode).join("/")}`;
  return s;
}

/** Stable package id: the same package at the same place gets the same id in every run. */
export function packageId(purl: string, location?: Location): string {
  return createHash("sha256")
    .update(purl)
    .update("\0")
    .update(location?.path ?? "")
    .digest("hex")
    .slice(0, 16);
}
