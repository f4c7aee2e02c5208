import type { Instruction, ParsedDockerfile } from "../parser.js";
import { describeValue, obviousSecretValue, placeholderValue, sensitiveName } from "../secret-keys.js";
import { hitAt, type LintRule, type RuleHit } from "./rule.js";

/** Rules over single non-RUN instructions: ADD, EXPOSE, ARG/ENV. */

const of = (df: ParsedDockerfile, keyword: string): Instruction[] =>
  df.instructions.filter((i) => i.keyword === keyword);

/** Sources of ADD/COPY: every operand but the destination (heredoc operands are not sources). */
function sources(ins: Instruction): string[] {
  const operands = ins.exec ?? ins.args.split(/\s+/).filter(Boolean);
  return operands.slice(0, -1).filter((s) => !s.startsWith("<<"));
}

const REMOTE = /^(?:https?|ftp):\/\/|^git@|^git:\/\//i;
const GIT = /^git@|^git:\/\/|\.git(?:#|$)/i;
// ADD extracts local tar archives (compressed or not); that is the one thing COPY cannot do
const ARCHIVE = /\.(?:tar|tar\.(?:gz|bz2|xz|zst|lz4)|tgz|tbz2?|txz|tzst)$/i;

export const addLocalFiles: LintRule = {
  id: "DL3020",
  severity: "low",
  title: "Use COPY instead of ADD for files and folders",
  description:
    "ADD also fetches URLs and unpacks archives, so a file that later becomes a tarball changes what the build does. COPY does only what it says.",
  references: ["CIS Docker Benchmark 4.9", "hadolint DL3020", "dockle CIS-DI-0009"],
  check: (df) =>
    of(df, "ADD").flatMap((ins) => {
      const local = sources(ins).filter((s) => !REMOTE.test(s) && !ARCHIVE.test(s));
      return local.length ? [hitAt(ins, `ADD ${local.join(" ")}: use COPY for local files`)] : [];
    }),
};

export const addRemote: LintRule = {
  id: "AB1002",
  severity: "medium",
  title: "ADD downloads from a URL without a checksum",
  description:
    "ADD <url> fetches whatever the server returns at build time, unverified. Use `ADD --checksum=sha256:…` (BuildKit), pin a git source to a commit, or download with curl and verify a known checksum in the same RUN.",
  references: [
    "CIS Docker Benchmark 4.9",
    "dockle CIS-DI-0009",
    "https://docs.docker.com/reference/dockerfile/#add---checksum",
  ],
  check: (df) =>
    of(df, "ADD").flatMap((ins) => {
      if (ins.flags.some((f) => f.name === "checksum" && f.value)) return [];
      const unpinned = sources(ins).filter(
        (s) => REMOTE.test(s) && !(GIT.test(s) && /#[0-9a-f]{40}(?::|$)/i.test(s)),
      );
      return unpinned.length ? [hitAt(ins, `ADD ${unpinned.join(" ")} is not verified by a checksum`)] : [];
    }),
};

/** `22`, `22/tcp`, `20-25/tcp` (ranges are allowed by EXPOSE) */
export function exposesPort(word: string, port: number): boolean {
  const m = /^(\d+)(?:-(\d+))?(?:\/\w+)?$/.exec(word.trim());
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  return lo <= port && port <= hi;
}

export const exposeSsh: LintRule = {
  id: "AB1005",
  severity: "medium",
  title: "SSH port 22 is exposed",
  description:
    "A container should not run an SSH server: it adds credentials to manage and a remote shell to attack. Use `docker exec` / `kubectl exec` for access.",
  references: ["CIS Docker Benchmark 5.7", "Trivy AVD-DS-0004 (port22)"],
  check: (df) =>
    of(df, "EXPOSE")
      .filter((ins) => ins.args.split(/\s+/).some((w) => exposesPort(w, 22)))
      .map((ins) => hitAt(ins, `EXPOSE ${ins.args} includes port 22 (SSH)`)),
};

export const secretsInArgEnv: LintRule = {
  id: "DL3064",
  severity: "high",
  title: "Sensitive data should not be used in ARG or ENV",
  description:
    "ENV values are stored in the image config and ARG values used by RUN in its history: anyone who can pull the image can read them. Pass credentials with `RUN --mount=type=secret` or at run time.",
  references: ["CIS Docker Benchmark 4.10", "hadolint DL3064", "dockle CIS-DI-0010"],
  check(df) {
    const hits: RuleHit[] = [];
    for (const ins of df.instructions) {
      if (ins.keyword !== "ARG" && ins.keyword !== "ENV") continue;
      for (const { name, value } of ins.properties) {
        const hit = judge(ins.keyword, name, value);
        if (hit) hits.push(hitAt(ins, hit.message, hit.severity));
      }
    }
    return hits;
  },
};

function judge(
  keyword: string,
  name: string,
  value: string | null,
): { message: string; severity?: "medium" } | undefined {
  const kind = value ? obviousSecretValue(value) : undefined;
  if (kind && value) return { message: `${keyword} ${name} holds a ${kind} (${describeValue(value)})` };
  const why = sensitiveName(name);
  if (!why) return undefined;
  if (value && !placeholderValue(value))
    return { message: `${keyword} ${name} sets a credential in the image (${why}; ${describeValue(value)})` };
  if (keyword === "ARG")
    return {
      message: `ARG ${name} looks like a credential (${why}); build args used by RUN are recorded in the image history`,
      severity: "medium",
    };
  // ENV TOKEN=$TOKEN copies a build arg into the image config
  if (value && /\$/.test(value))
    return { message: `ENV ${name} copies ${value} into the image config (${why})`, severity: "medium" };
  return undefined;
}

export const INSTRUCTION_RULES: LintRule[] = [addLocalFiles, addRemote, exposeSsh, secretsInArgEnv];
