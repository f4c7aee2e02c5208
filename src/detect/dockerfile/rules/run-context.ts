import { basename, type Invocation, invocation, invocations, SHELLS } from "../commands.js";
import type { Instruction, ParsedDockerfile } from "../parser.js";
import { parseShell, type ShellScript } from "../shell.js";
import { shippedStages } from "./rule.js";

/**
 * Each RUN with what the rules need around it: its shell scripts parsed once (command line plus heredoc
 * bodies fed to a shell), the SHELL in force (inherited from the parent stage, as BuildKit does), the
 * ENV/ARG names visible, its cache mounts, and whether its stage ships in the final image.
 */
export interface RunContext {
  ins: Instruction;
  scripts: ShellScript[];
  /** every command, including those nested in `sh -c` and `$(…)` */
  invocations: Invocation[];
  /** SHELL is a POSIX shell (not pwsh / cmd): shell rules apply */
  posixShell: boolean;
  /** SHELL runs with `-o pipefail` */
  pipefail: boolean;
  /** ENV and ARG names declared so far in this stage and its parents */
  env: ReadonlySet<string>;
  /** targets of `--mount=type=cache`: what is written there never reaches the image */
  cacheMounts: string[];
  /** the stage ends up in the built image (the last stage or one it is built FROM) */
  shipped: boolean;
}

const DEFAULT_SHELL = ["/bin/sh", "-c"];
const cache = new WeakMap<ParsedDockerfile, RunContext[]>();

export function runContexts(df: ParsedDockerfile): RunContext[] {
  const known = cache.get(df);
  if (known) return known;
  const shipped = shippedStages(df);
  const out: RunContext[] = [];
  const stageEnd = new Map<number, { shell: string[]; env: Set<string> }>();
  for (const stage of df.stages) {
    const inherited = stage.parent !== undefined ? stageEnd.get(stage.parent) : undefined;
    let shell = inherited?.shell ?? DEFAULT_SHELL;
    const env = new Set(inherited?.env ?? []);
    for (const ins of stage.instructions) {
      if (ins.keyword === "SHELL" && ins.exec?.length && !ins.onbuild) shell = ins.exec;
      else if ((ins.keyword === "ENV" || ins.keyword === "ARG") && !ins.onbuild)
        for (const p of ins.properties) env.add(p.name);
      else if (ins.keyword === "RUN") {
        const posixShell = SHELLS.has(basename(shell[0] ?? ""));
        const scripts = posixShell || ins.exec ? scriptsOf(ins) : [];
        out.push({
          ins,
          scripts,
          invocations: scripts.flatMap((s) => invocations(s)),
          posixShell,
          pipefail: setsPipefail(shell),
          env: new Set(env),
          cacheMounts: cacheMounts(ins),
          shipped: shipped.has(stage.index) && !ins.onbuild,
        });
      }
    }
    stageEnd.set(stage.index, { shell, env });
  }
  cache.set(df, out);
  return out;
}

/** `["/bin/bash", "-o", "pipefail", "-c"]`, `["bash", "-euo", "pipefail", "-c"]` */
export function setsPipefail(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === "pipefail" && /^-[a-zA-Z]*o$/.test(argv[i - 1] ?? ""));
}

function scriptsOf(ins: Instruction): ShellScript[] {
  if (ins.exec) {
    // exec form runs argv directly; `invocations` looks inside when that argv is `sh -c SCRIPT`
    const cmd = {
      argv: ins.exec.map((value) => ({ value, raw: value, substitutions: [] })),
      assignments: [],
      pipeline: 0,
      pipeIndex: 0,
    };
    return [{ commands: [cmd], pipelines: [[cmd]] }];
  }
  const main = parseShell(ins.args);
  const scripts = [main];
  // `RUN <<EOF` / `RUN bash <<EOF` / `RUN <<EOF bash`: the body is the script. `RUN cat <<EOF > f`: data.
  const first = main.commands[0] ? invocation(main.commands[0]) : undefined;
  const bodyIsScript = !first || SHELLS.has(first.program);
  if (bodyIsScript)
    for (const h of ins.heredocs) {
      const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(h.body);
      const interpreter = shebang
        ? basename(shebang[1] === "/usr/bin/env" ? (shebang[2] ?? "") : shebang[1]!)
        : "sh";
      if (SHELLS.has(interpreter)) scripts.push(parseShell(h.body));
    }
  return scripts;
}

function cacheMounts(ins: Instruction): string[] {
  const out: string[] = [];
  for (const f of ins.flags) {
    if (f.name !== "mount" || !f.value) continue;
    const opts = new Map(
      f.value.split(",").map((kv) => {
        const eq = kv.indexOf("=");
        return eq < 0 ? [kv.trim(), ""] : [kv.slice(0, eq).trim(), kv.slice(eq + 1).trim()];
      }),
    );
    const target = opts.get("target") ?? opts.get("dst") ?? opts.get("destination");
    if (opts.get("type") === "cache" && target) out.push(target.replace(/\/+$/, ""));
  }
  return out;
}

/** True when a cache mount covers `dir` (or a parent of it). */
export const cacheMounted = (ctx: RunContext, dir: string): boolean =>
  ctx.cacheMounts.some((m) => dir === m || dir.startsWith(`${m}/`));

/** Does some `rm` in the RUN delete `dir` or what is inside it? */
export const removes = (ctx: RunContext, dir: string): boolean =>
  ctx.invocations.some(
    (i) => i.program === "rm" && i.args.some((a) => a.replace(/^\.?\/?/, "/").startsWith(dir)),
  );
