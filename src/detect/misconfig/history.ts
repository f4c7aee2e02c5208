import { basename, SHELLS } from "../dockerfile/commands.js";
import { DOCKERFILE_KEYWORDS } from "../dockerfile/parser.js";

/**
 * One `history[].created_by` entry read back into the instruction that made it. The formats seen:
 *
 * - classic builder / buildah:   `/bin/sh -c #(nop)  ENV PATH=/usr/bin`, `/bin/sh -c #(nop) ADD file:ab… in / `
 * - classic RUN:                  `/bin/sh -c apt-get update`, with build args `|2 A=1 B=2 /bin/sh -c …`
 * - BuildKit:                     `RUN /bin/sh -c apt-get update # buildkit`, `ADD https://x /y # buildkit`,
 *                                 `RUN |1 TOKEN=x /bin/sh -c npm ci # buildkit`, `COPY . . # buildkit`
 * - custom SHELL:                 `/bin/bash -o pipefail -c curl … | tar -x`
 * - kaniko and others:            the Dockerfile line itself (`RUN apt-get update`)
 *
 * Anything else (bazel, apko, nix, an empty string) is `instruction: ""`.
 */
export interface HistoryStep {
  /** upper-case Dockerfile instruction, "" when unknown */
  instruction: string;
  /** the text after the instruction (for RUN: the command as recorded) */
  args: string;
  /** for RUN: the shell script, when it ran through `sh -c` (or its text when exec form) */
  script?: string;
  /** build args recorded for RUN (`|N NAME=value …`) */
  buildArgs: { name: string; value: string }[];
}

const INSTRUCTION = /^([A-Z]+)(?:\s+([\s\S]*))?$/;
// history lines never hold FROM: it starts a new image rather than adding a step to one
const KNOWN = new Set([...DOCKERFILE_KEYWORDS].filter((k) => k !== "FROM"));

export function parseCreatedBy(createdBy: string): HistoryStep {
  const text = createdBy.replace(/\s+# buildkit\s*$/, "").trim();
  const nop = /^\S+\s+-c\s+#\(nop\)\s+([\s\S]*)$/.exec(text);
  if (nop) return fromInstructionText((nop[1] ?? "").trim());
  const m = INSTRUCTION.exec(text);
  if (m && KNOWN.has(m[1] as string)) return fromInstructionText(text);
  // classic builder RUN: the recorded argv of the shell
  const run = runStep(text);
  return run ?? { instruction: "", args: text, buildArgs: [] };
}

function fromInstructionText(text: string): HistoryStep {
  const m = INSTRUCTION.exec(text);
  if (!m || !KNOWN.has(m[1] as string)) return { instruction: "", args: text, buildArgs: [] };
  const instruction = m[1] as string;
  const args = (m[2] ?? "").trim();
  if (instruction === "RUN") {
    const step = runStep(args);
    if (step) return step;
    return { instruction, args, script: execScript(args) ?? args, buildArgs: [] };
  }
  return { instruction, args, buildArgs: [] };
}

/** `|2 A=1 B=2 /bin/sh -c script` → build args + script; undefined when it is not a shell invocation. */
function runStep(text: string): HistoryStep | undefined {
  let rest = text;
  const buildArgs: { name: string; value: string }[] = [];
  const counted = /^\|(\d+)\s+/.exec(rest);
  if (counted) {
    rest = rest.slice(counted[0].length);
    for (let n = Number(counted[1]); n > 0; n--) {
      const kv = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s+/.exec(rest);
      if (!kv) break;
      buildArgs.push({ name: kv[1] as string, value: kv[2] as string });
      rest = rest.slice(kv[0].length);
    }
  }
  const script = shellScript(rest);
  if (script === undefined) {
    const exec = execScript(rest);
    if (exec !== undefined || counted)
      return { instruction: "RUN", args: rest, script: exec ?? rest, buildArgs };
    return undefined;
  }
  return { instruction: "RUN", args: rest, script, buildArgs };
}

/** `/bin/bash -o pipefail -c SCRIPT` → SCRIPT (Docker joins the argv with single spaces). */
function shellScript(text: string): string | undefined {
  const words = [...text.matchAll(/\S+/g)];
  const first = words[0]?.[0];
  if (!first || !SHELLS.has(basename(first))) return undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]?.[0] as string;
    if (/^[-+][a-zA-Z]*o$/.test(w)) i++;
    else if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(w)) {
      const next = words[i + 1];
      return next ? text.slice(next.index) : "";
    } else if (!w.startsWith("-") && !w.startsWith("+")) return undefined;
  }
  return undefined;
}

/** BuildKit records an exec-form RUN as its JSON array: run it as the joined command line. */
function execScript(text: string): string | undefined {
  if (!text.startsWith("[")) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) {
      const argv = v as string[];
      const dashC = SHELLS.has(basename(argv[0] ?? "")) && argv[1] === "-c" ? argv[2] : undefined;
      return (
        dashC ?? argv.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ")
      );
    }
  } catch {
    /* not JSON */
  }
  return undefined;
}
