import type { Command } from "commander";
import { AirbagError } from "../model/index.js";
import { parseDuration } from "../policy/duration.js";
import { loadPolicy } from "../policy/policy-file.js";
import { agentReportUrl } from "../runtime/agent-client.js";
import { RUNTIME_DETECTOR_NAMES, type RuntimeDetectorName } from "../runtime/detectors/index.js";
import { type MonitorServerOptions, runMonitor } from "../runtime/run-monitor.js";
import { restrictUmask } from "./privileges.js";
import type { GlobalFlags } from "./run.js";

interface MonitorFlags {
  engine?: string;
  policy: string;
  auditLog?: string;
  state?: string;
  db?: string;
  detectors?: string;
  interval: string;
  server?: string;
  token?: string;
  spool?: string;
  serverCa?: string;
  host?: string;
}

/**
 * `airbag monitor --policy F [--engine URL] [--audit-log F] [--state DIR] [--server URL --token T]`:
 * runs until SIGTERM / SIGINT. The token may come from $AIRBAG_TOKEN so it stays out of `ps`.
 */
export function registerMonitor(program: Command, flags: () => GlobalFlags): void {
  program
    .command("monitor")
    .description(
      "watch running containers (miners, shells, drift, risky settings, new CVEs) and respond by policy",
    )
    .requiredOption("--policy <file>", "policy YAML (rules, channels, modes)")
    .option("--engine <url>", "Docker / podman API (default $DOCKER_HOST, then the usual sockets)")
    .option("--audit-log <file>", "hash-chained audit log (default <state>/audit.jsonl)")
    .option("--state <dir>", "approvals, isolation records, dead letters (default ~/.local/state/airbag)")
    .option("--db <file>", "vulnerability database for image trust and new CVEs on running images")
    .option("--detectors <list>", `comma list of ${RUNTIME_DETECTOR_NAMES.join(", ")} (default: all)`)
    .option("--interval <duration>", "sampling period", "5s")
    .option(
      "--server <url>",
      "report to `airbag serve` at this URL (events wait in a spool while it is down)",
    )
    .option("--token <token>", "agent API token for --server (default $AIRBAG_TOKEN)")
    .option("--server-ca <file>", "PEM CA bundle for an https --server with a private CA")
    .option("--spool <file>", "agent spool for --server (default <state>/agent-spool.jsonl)")
    .option("--host <name>", "host name to report as (default $AIRBAG_HOST, else this machine's name)")
    .action(async (opts: MonitorFlags) => {
      // it runs with the engine socket (root-equivalent): its state (audit, spool, approvals) is private
      restrictUmask();
      const interval = parseDuration(opts.interval);
      if (interval === undefined || interval < 200)
        throw new AirbagError("USAGE", `--interval: "${opts.interval}" is not a duration ≥ 200ms (e.g. 5s)`);
      const only = opts.detectors
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      for (const d of only ?? [])
        if (!(RUNTIME_DETECTOR_NAMES as readonly string[]).includes(d))
          throw new AirbagError(
            "USAGE",
            `--detectors: unknown detector "${d}" (use ${RUNTIME_DETECTOR_NAMES.join(", ")})`,
          );
      const server = serverOptions(opts);
      const policy = await loadPolicy(opts.policy);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      const verbose = flags().verbose;
      try {
        await runMonitor({
          policy,
          signal: stop.signal,
          ...(opts.engine ? { engine: opts.engine } : {}),
          ...(opts.auditLog ? { auditLog: opts.auditLog } : {}),
          ...(opts.state ? { stateDir: opts.state } : {}),
          ...(opts.db ? { db: opts.db } : {}),
          ...(only ? { only: only as RuntimeDetectorName[] } : {}),
          sampleIntervalMs: interval,
          ...(server ? { server } : {}),
          ...((opts.host ?? process.env.AIRBAG_HOST)
            ? { hostName: opts.host ?? process.env.AIRBAG_HOST }
            : {}),
          onWarning: (m) => console.error(`airbag: warning: ${m}`),
          ...(verbose
            ? {
                onAlert: (ch: string, m: { summary: string }) =>
                  console.error(`airbag: alert → ${ch}: ${m.summary}`),
              }
            : {}),
        });
      } finally {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      }
    });
}

function serverOptions(opts: MonitorFlags): MonitorServerOptions | undefined {
  for (const [flag, v] of [
    ["--token", opts.token],
    ["--spool", opts.spool],
    ["--server-ca", opts.serverCa],
  ] as const)
    if (v !== undefined && !opts.server) throw new AirbagError("USAGE", `${flag} needs --server URL`);
  if (!opts.server) return undefined;
  agentReportUrl(opts.server); // a bad URL fails now, not at the first report
  const token = opts.token ?? process.env.AIRBAG_TOKEN?.trim();
  if (!token) throw new AirbagError("USAGE", "--server needs an agent token: --token T or $AIRBAG_TOKEN");
  return {
    url: opts.server,
    token,
    ...(opts.serverCa ? { caFile: opts.serverCa } : {}),
    ...(opts.spool ? { spool: opts.spool } : {}),
  };
}
