import { lintDockerfile } from "../lint.js";

/** `[line, id]` of every finding for a Dockerfile given as lines, optionally only one rule's. */
export function hits(lines: string[], id?: string): [number, string][] {
  return lintDockerfile(lines.join("\n"), { path: "Dockerfile" })
    .findings.filter((f) => id === undefined || f.id === id)
    .map((f) => [f.location.line, f.id]);
}

/** the findings of one rule, full objects */
export function findings(lines: string[], id: string) {
  return lintDockerfile(lines.join("\n"), { path: "Dockerfile" }).findings.filter((f) => f.id === id);
}

/** A Dockerfile that no rule objects to, to wrap the line under test. */
export const CLEAN_HEAD = [`FROM debian:12@sha256:${"a".repeat(64)}`];
export const CLEAN_TAIL = ["USER app"];
export const wrap = (...body: string[]): string[] => [...CLEAN_HEAD, ...body, ...CLEAN_TAIL];
