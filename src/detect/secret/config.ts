import type { ConfigFinding, ConfigScanner, ImageMeta } from "../detector.js";
import { createSecretScanner, type SecretHit, type SecretScannerOptions } from "./scanner.js";

/**
 * Secrets in the image config: `Env`, `Labels`, `Entrypoint`/`Cmd` and `history[].created_by` (where
 * build arguments end up: BuildKit records `RUN |2 GITHUB_TOKEN=ghp_… /bin/sh -c …`, the classic
 * builder `ARG`/`ENV` lines, `--build-arg` in scripted builds). Each field runs through the same rule
 * pack as file content, twice: as raw text (token, key and URL rules) and as `KEY=value` lines under a
 * `.env` path, so the secret-named-variable rule applies. One finding per secret and field; where two
 * rules matched the same secret, the one listed first in the pack wins.
 */

/** A path the pack's `.env` rules match: config assignments are judged like a .env file. */
const ENV_PATH = ".env";
/** Raw fields are scanned under a path no path-specific rule matches. */
const RAW_PATH = "image-config";

/** KEY=value pairs in a shell-ish command line: ARG/ENV, BuildKit's `|N K=V …`, --build-arg K=V, --flag=V. */
const ASSIGNMENT =
  /(?:^|[\s|;&(])(?:--build-arg[ =]|--env[ =]|-e )?["']?(-{1,2}[A-Za-z][\w-]*|[A-Za-z_][\w.]*)=("[^"]*"|'[^']*'|[^\s"';&|)]+)/g;
/** The classic builder's `ENV KEY value` form (no `=`). */
const ENV_SPACE = /#\(nop\)\s+ENV\s+([A-Za-z_]\w*)\s+(\S.*)$/;

export function assignmentsIn(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(ASSIGNMENT)) out.push(`${m[1]!.replace(/^-+/, "")}=${m[2]}`);
  const legacy = ENV_SPACE.exec(command);
  if (legacy && !legacy[2]!.includes("=")) out.push(`${legacy[1]}=${legacy[2]!.trim()}`);
  return out;
}

export function createSecretConfigScanner(options: SecretScannerOptions = {}): ConfigScanner {
  const content = createSecretScanner(options);
  const scan = (path: string, text: string): SecretHit[] => {
    if (text === "") return [];
    const c = content.consumeWithSecrets(path);
    c.write(Buffer.from(text, "utf8"));
    return c.end();
  };

  function field(name: string, raw: string, assignments: string[], out: ConfigFinding[]): void {
    const hits = [...scan(RAW_PATH, raw), ...scan(ENV_PATH, assignments.join("\n"))];
    const best = new Map<string, SecretHit>();
    for (const h of hits) {
      const prev = best.get(h.secret);
      if (!prev || h.order < prev.order) best.set(h.secret, h);
    }
    for (const h of best.values())
      out.push({
        id: h.id,
        kind: "secret",
        severity: h.severity,
        title: h.title,
        match: h.match,
        evidence: h.evidence,
        field: name,
      });
  }

  return {
    name: "secret",
    version: 1,
    scanConfig(meta: ImageMeta): ConfigFinding[] {
      const out: ConfigFinding[] = [];
      for (const [i, e] of meta.env.entries()) field(`config.Env[${i}]`, e, [e], out);
      for (const [k, v] of Object.entries(meta.labels))
        field(`config.Labels[${JSON.stringify(k)}]`, v, [`${k}=${v}`], out);
      for (const [name, argv] of [
        ["config.Entrypoint", meta.entrypoint],
        ["config.Cmd", meta.cmd],
      ] as const) {
        const line = argv.join(" ");
        field(name, line, assignmentsIn(line), out);
      }
      for (const [i, h] of meta.history.entries())
        field(`history[${i}].created_by`, h.createdBy, assignmentsIn(h.createdBy), out);
      return out;
    },
  };
}
