import { userInfo } from "node:os";
import type { Command } from "commander";
import { AirbagError } from "../model/index.js";
import {
  type ApprovalRecord,
  type ApprovalState,
  ApprovalStore,
  type ApprovalVerdict,
} from "../policy/approvals.js";
import { defaultStateDir } from "../policy/state-dir.js";
import { type GlobalFlags, warningSink, writeOutput } from "./run.js";

interface CommonFlags {
  state?: string;
}
interface ListFlags extends CommonFlags {
  all?: boolean;
  show?: string;
  format: string;
}
interface DecideFlags extends CommonFlags {
  by?: string;
  reason?: string;
}

const STATES: ApprovalState[] = ["pending", "approved", "denied", "expired"];

const store = (f: CommonFlags) => new ApprovalStore(f.state ?? defaultStateDir());

function whoami(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

function row(r: ApprovalRecord): string {
  const c = r.detection.container;
  const actions = r.actions.map((a) => a.type).join(",") || "-";
  const tail =
    r.state === "pending"
      ? `expires ${r.expiresAt} (then ${r.onTimeout})`
      : `${r.decision?.by === "timeout" ? `timeout → ${r.decision.result}` : `by ${r.decision?.by}`} at ${r.decision?.at}` +
        (r.decision?.reason ? ` — ${r.decision.reason}` : "");
  return `${r.id}  ${r.state.padEnd(8)}  ${r.rule}  ${actions}  ${c.name} (${c.image})  [${r.detection.severity}] ${r.detection.evidence}  ${tail}`;
}

/**
 * `airbag approvals list | approve ID | deny ID`: answer the approvals `airbag monitor` is waiting
 * for. They live in the state directory (`--state`, else $XDG_STATE_HOME/airbag or
 * ~/.local/state/airbag), shared with the monitor; the first decision wins.
 */
export function registerApprovals(program: Command, flags: () => GlobalFlags): void {
  const approvals = program
    .command("approvals")
    .description("list, approve or deny the interventions the monitor is holding for a human");
  const stateOption = [
    "--state <dir>",
    "state directory shared with the monitor (default $XDG_STATE_HOME/airbag or ~/.local/state/airbag)",
  ] as const;

  approvals
    .command("list")
    .description("approvals waiting for a decision (--all: every one, with its outcome)")
    .option(...stateOption)
    .option("--all", "include decided and expired approvals")
    .option("--show <state>", `only this state: ${STATES.join(", ")}`)
    .option("--format <fmt>", "table | json", "table")
    .action(async (f: ListFlags) => {
      if (!["table", "json"].includes(f.format))
        throw new AirbagError("USAGE", `--format: unknown format "${f.format}" (use table or json)`);
      if (f.show && !STATES.includes(f.show as ApprovalState))
        throw new AirbagError("USAGE", `--show: unknown state "${f.show}" (use ${STATES.join(", ")})`);
      const sink = warningSink(flags());
      const state = (f.show as ApprovalState | undefined) ?? (f.all ? undefined : "pending");
      const list = await store(f).list({ ...(state ? { state } : {}), onWarning: sink.warn });
      sink.summary();
      if (f.format === "json") return writeOutput(JSON.stringify(list, null, 2), undefined);
      if (list.length === 0) return writeOutput(`no ${state ?? ""} approvals`.replace("  ", " "), undefined);
      return writeOutput(list.map(row).join("\n"), undefined);
    });

  const decide = (verdict: ApprovalVerdict) =>
    approvals
      .command(verdict)
      .description(verdict === "approve" ? "let the held actions run" : "refuse the held actions")
      .argument("<id>", "approval id (a unique prefix is enough)")
      .option(...stateOption)
      .option("--by <name>", "who decides (default: your user name)")
      .option("--reason <text>", "why, for the audit log")
      .action(async (idArg: string, f: DecideFlags) => {
        const s = store(f);
        const id = await s.resolve(idArg);
        const r = await s.decide(id, verdict, f.by ?? whoami(), f.reason);
        await writeOutput(`approval ${r.id}: ${r.state} by ${r.decision?.by}`, undefined);
      });
  decide("approve");
  decide("deny");
}
