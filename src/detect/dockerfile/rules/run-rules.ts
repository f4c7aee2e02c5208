import {
  APT_VALUED,
  aptOptions,
  hasFlag,
  type Invocation,
  invocation,
  isTrue,
  remoteScriptsExecuted,
  subcommand,
} from "../commands.js";
import type { SimpleCommand } from "../shell.js";
import { hitAt, type LintRule, type RuleHit } from "./rule.js";
import { cacheMounted, type RunContext, removes, runContexts, setsPipefail } from "./run-context.js";

/** Rules over the commands RUN executes, read from the tokenised shell (see ../shell.ts). */

function perRun(
  check: (ctx: RunContext) => string | undefined,
): (df: Parameters<LintRule["check"]>[0]) => RuleHit[] {
  return (df) =>
    runContexts(df).flatMap((ctx) => {
      const message = check(ctx);
      return message ? [hitAt(ctx.ins, message)] : [];
    });
}

const APT = new Set(["apt-get", "apt"]);
const aptInstalls = (ctx: RunContext): Invocation[] =>
  ctx.invocations.filter((i) => APT.has(i.program) && subcommand(i, APT_VALUED) === "install");

export const sudo: LintRule = {
  id: "DL3004",
  severity: "medium",
  title: "Do not use sudo",
  description:
    "RUN already runs as the current USER; sudo in a build means sudo is installed in the image, with unpredictable TTY and signal behaviour. Switch USER around the privileged steps, or use gosu / su-exec in an entrypoint.",
  references: ["hadolint DL3004", "dockle DKL-DI-0001"],
  check: perRun((ctx) =>
    ctx.invocations.some((i) => i.via.includes("sudo") || i.program === "sudo") ? "RUN uses sudo" : undefined,
  ),
};

export const remoteScript: LintRule = {
  id: "AB1003",
  severity: "medium",
  title: "Remote script piped into a shell",
  description:
    "`curl … | sh` runs whatever the server (or anyone in the path) returns, with no chance to verify it, and a dropped connection can run half a script. Download to a file, check its checksum or signature, then run it.",
  references: ["https://docs.docker.com/build/building/best-practices/#run", "CIS Docker Benchmark 4.11"],
  check: perRun((ctx) => {
    if (!ctx.posixShell && !ctx.ins.exec) return undefined;
    const found = ctx.scripts.flatMap((s) => remoteScriptsExecuted(s));
    return found.length ? `RUN executes a downloaded script: ${found.join("; ")}` : undefined;
  }),
};

export const pipefail: LintRule = {
  id: "DL4006",
  severity: "low",
  title: "Set the SHELL option -o pipefail before RUN with a pipe in it",
  description:
    'Without pipefail only the last command of a pipe decides success: `curl https://x | tar -x` builds a broken image when the download fails. Add `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` or `set -o pipefail` in the RUN.',
  references: ["hadolint DL4006", "Trivy run_pipefail"],
  check: perRun((ctx) => {
    if (ctx.ins.exec || !ctx.posixShell || ctx.pipefail) return undefined;
    for (const script of ctx.scripts) {
      const firstPipe = script.pipelines.find((p) => p.length > 1);
      if (!firstPipe) continue;
      // `set -euo pipefail` earlier in the same script also does it
      const setIndex = script.commands.findIndex((c) => {
        const argv = c.argv.map((w) => w.value);
        return argv[0] === "set" && setsPipefail(argv);
      });
      const pipeIndex = script.commands.indexOf(firstPipe[0]!);
      if (setIndex < 0 || setIndex > pipeIndex)
        return `RUN pipes \`${firstPipe.map(commandName).join(" | ")}\` without pipefail`;
    }
    return undefined;
  }),
};

const commandName = (c: SimpleCommand): string => {
  const inv = invocation(c);
  return inv ? [...inv.via, inv.program].join(" ") : (c.argv[0]?.value ?? "");
};

export const aptAssumeYes: LintRule = {
  id: "DL3014",
  severity: "low",
  title: "Use the -y switch to avoid manual input: apt-get -y install <package>",
  description: "Without -y apt-get asks for confirmation, which a build cannot answer: the install aborts.",
  references: ["hadolint DL3014"],
  check: perRun((ctx) => {
    const bad = aptInstalls(ctx).filter((i) => {
      const o = aptOptions(i);
      return !(
        hasFlag(i.args, "y", ["--yes", "--assume-yes", "--force-yes"]) ||
        i.args.some((a) => a === "-qq" || a === "-q=2" || a === "--quiet=2") || // quiet level 2 implies -y
        isTrue(o.get("apt::get::assume-yes"))
      );
    });
    return bad.length ? `${bad[0]!.program} install without -y` : undefined;
  }),
};

export const aptNoRecommends: LintRule = {
  id: "DL3015",
  severity: "low",
  title: "Avoid additional packages by specifying --no-install-recommends",
  description:
    "Recommended packages are not needed to run the software but add size and attack surface (CIS 4.3: do not install unnecessary packages).",
  references: ["CIS Docker Benchmark 4.3", "hadolint DL3015"],
  check: perRun((ctx) => {
    const bad = aptInstalls(ctx).filter((i) => {
      const rec = aptOptions(i).get("apt::install-recommends");
      return !i.args.includes("--no-install-recommends") && !(rec === "false" || rec === "0" || rec === "no");
    });
    return bad.length ? `${bad[0]!.program} install without --no-install-recommends` : undefined;
  }),
};

export const aptLists: LintRule = {
  id: "DL3009",
  severity: "low",
  title: "Delete the apt-get lists after installing something",
  description:
    "Package indexes left in /var/lib/apt/lists add tens of MB and go stale. End the same RUN with `rm -rf /var/lib/apt/lists/*`, or use a cache mount. Only stages that ship in the final image are checked.",
  references: ["hadolint DL3009", "dockle DKL-DI-0005"],
  check: perRun((ctx) => {
    if (!ctx.shipped || aptInstalls(ctx).length === 0) return undefined;
    if (cacheMounted(ctx, "/var/lib/apt/lists") || removes(ctx, "/var/lib/apt/lists")) return undefined;
    return "apt-get install without `rm -rf /var/lib/apt/lists/*` in the same RUN";
  }),
};

export const apkNoCache: LintRule = {
  id: "DL3019",
  severity: "low",
  title: "Use the --no-cache switch to avoid the need to use --update and remove /var/cache/apk/*",
  description:
    "apk keeps its index in /var/cache/apk unless told not to; `apk add --no-cache` leaves nothing behind.",
  references: ["hadolint DL3019", "dockle DKL-DI-0004"],
  check: perRun((ctx) => {
    if (!ctx.shipped || cacheMounted(ctx, "/var/cache/apk") || removes(ctx, "/var/cache/apk"))
      return undefined;
    const bad = ctx.invocations.filter(
      (i) => i.program === "apk" && subcommand(i, new Set(["-X", "--repository", "-p", "--root"])) === "add",
    );
    return bad.some((i) => !i.args.includes("--no-cache")) ? "apk add without --no-cache" : undefined;
  }),
};

const PIP = /^pip(?:\d+(?:\.\d+)?)?$/;
const isPipInstall = (i: Invocation): boolean =>
  (PIP.test(i.program) && subcommand(i) === "install") ||
  (/^python(?:\d+(?:\.\d+)?)?$/.test(i.program) &&
    i.args[0] === "-m" &&
    PIP.test(i.args[1] ?? "") &&
    i.args.slice(2).find((a) => !a.startsWith("-")) === "install");

export const pipNoCacheDir: LintRule = {
  id: "DL3042",
  severity: "low",
  title: "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`",
  description: "pip keeps downloaded wheels in ~/.cache/pip; in an image that is dead weight.",
  references: ["hadolint DL3042"],
  check: perRun((ctx) => {
    if (!ctx.shipped || ctx.env.has("PIP_NO_CACHE_DIR")) return undefined;
    if (ctx.cacheMounts.some((m) => m.endsWith(".cache/pip") || m.endsWith(".cache"))) return undefined;
    const bad = ctx.invocations.filter(
      (i) =>
        isPipInstall(i) &&
        !i.args.includes("--no-cache-dir") &&
        !i.command.assignments.some((a) => a.value.startsWith("PIP_NO_CACHE_DIR=")),
    );
    return bad.length ? "pip install without --no-cache-dir" : undefined;
  }),
};

/** A chmod mode that grants write to everyone, without the sticky bit (`1777` for /tmp is fine). */
export function worldWritableMode(mode: string): boolean {
  if (/^[0-7]{3,4}$/.test(mode)) {
    const digits = mode.padStart(4, "0");
    const sticky = (Number(digits[0]) & 1) === 1;
    return !sticky && (Number(digits[3]) & 2) === 2;
  }
  const clauses = mode.split(",");
  if (clauses.some((c) => /t/.test(c.replace(/^[ugoa]*/, "")))) return false;
  return clauses.some((c) => {
    const m = /^([ugoa]*)([+=])([rwxXst]*)$/.exec(c);
    return m !== null && /[oa]/.test(m[1] ?? "") && (m[3] ?? "").includes("w");
  });
}

export const chmodWorldWritable: LintRule = {
  id: "AB1004",
  severity: "medium",
  title: "chmod makes files world-writable",
  description:
    "`chmod 777` lets every user in the container (and any process that gets in) rewrite those files, including binaries root later runs. Grant only the owner or group what it needs.",
  references: ["CIS Docker Benchmark 4.8", "https://cwe.mitre.org/data/definitions/732.html"],
  check: perRun((ctx) => {
    const bad = ctx.invocations.find((i) => {
      if (i.program !== "chmod") return false;
      const mode = i.args.find((a) => !a.startsWith("-") || /^-[rwxXst]+$/.test(a));
      return mode !== undefined && worldWritableMode(mode.replace(/^-/, "o-"));
    });
    return bad ? `chmod ${bad.args.join(" ")} makes files world-writable` : undefined;
  }),
};

export const cdInsteadOfWorkdir: LintRule = {
  id: "DL3003",
  severity: "low",
  title: "Use WORKDIR to switch to a directory",
  description:
    "`cd` lasts only for its RUN; WORKDIR documents the directory and applies to every later instruction.",
  references: ["hadolint DL3003"],
  check: perRun((ctx) =>
    ctx.invocations.some((i) => i.program === "cd") ? "RUN uses cd; use WORKDIR" : undefined,
  ),
};

export const RUN_RULES: LintRule[] = [
  sudo,
  remoteScript,
  pipefail,
  aptAssumeYes,
  aptNoRecommends,
  aptLists,
  apkNoCache,
  pipNoCacheDir,
  chmodWorldWritable,
  cdInsteadOfWorkdir,
];
