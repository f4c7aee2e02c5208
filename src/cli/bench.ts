import type { Command } from "commander";
import { bench, benchGate } from "../bench/index.js";
import { AirbagError } from "../model/index.js";
import { benchFormat, renderBench } from "../report/bench-format.js";
import { type GlobalFlags, parseFailOn, warningSink, writeOutput } from "./run.js";

interface BenchFlags {
  engine?: string;
  host: boolean;
  hostRoot?: string;
  daemonJson?: string;
  inspect: string[];
  info?: string;
  versionJson?: string;
  component: string[];
  db?: string;
  include?: string;
  exclude?: string;
  excludeContainer: string[];
  format: string;
  output?: string;
  failOn?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];
const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * `airbag bench`: live against an engine and this host, or offline from files
 * (`--daemon-json`, `--inspect`, `--info`, `--version-json`, `--component`) for CI without a host.
 */
export function registerBench(program: Command, flags: () => GlobalFlags): void {
  program
    .command("bench")
    .description(
      "check the host, daemon and running containers against the CIS Docker Benchmark; flag outdated runtimes",
    )
    .option(
      "--engine <url>",
      "Docker / podman API (unix:///PATH.sock, tcp://127.0.0.1:2375); default $DOCKER_HOST, then the usual sockets",
    )
    .option(
      "--no-host",
      "do not read this machine's files (docker group, audit rules, file modes, runc --version)",
    )
    .option("--host-root <dir>", "read host files under DIR (the host's / mounted into a container)")
    .option(
      "--daemon-json <file>",
      "daemon.json to check (default: <host root>/etc/docker/daemon.json when present)",
    )
    .option("--inspect <file>", "`docker inspect` output to check offline (repeatable)", collect, [])
    .option("--info <file>", "saved engine /info answer (offline)")
    .option("--version-json <file>", "saved engine /version answer (offline)")
    .option(
      "--component <name=version[@commit]>",
      "a runtime component version to check: runc=1.1.11, containerd=1.6.0, docker=24.0.7, podman=4.3.1 (repeatable)",
      collect,
      [],
    )
    .option(
      "--db <file>",
      "vulnerability database for runtime versions (in addition to the bundled runtime advisories)",
    )
    .option("--include <ids>", "only these checks or sections, e.g. 5,2.7")
    .option("--exclude <ids>", "leave out these checks or sections")
    .option("--exclude-container <glob>", "leave out containers by name (repeatable)", collect, [])
    .option("-f, --format <format>", "table | json | sarif | junit | html", "table")
    .option("-o, --output <file>", "write to FILE instead of stdout")
    .option(
      "--fail-on <severity>",
      "exit 1 when a failed check or runtime vulnerability is at least this severe",
    )
    .action(async (opts: BenchFlags) => {
      const format = benchFormat(opts.format);
      const failOn = opts.failOn === undefined ? undefined : parseFailOn(opts.failOn);
      // offline when only files were given: no engine, no host unless asked for
      const offline =
        !opts.engine &&
        !!(opts.daemonJson || opts.inspect.length || opts.info || opts.versionJson || opts.component.length);
      const hostRoot = opts.hostRoot ?? (offline || !opts.host ? undefined : "/");
      const sink = warningSink(flags());
      const report = await bench({
        useEngine: !offline,
        ...(opts.engine ? { engine: opts.engine } : {}),
        ...(hostRoot !== undefined ? { hostRoot } : {}),
        ...(opts.daemonJson ? { daemonJson: opts.daemonJson } : {}),
        inspectFiles: opts.inspect,
        ...(opts.info ? { infoFile: opts.info } : {}),
        ...(opts.versionJson ? { versionFile: opts.versionJson } : {}),
        components: opts.component,
        runBinaries: hostRoot === "/",
        excludeContainers: opts.excludeContainer,
        ...(opts.db ? { db: opts.db } : {}),
        include: list(opts.include),
        exclude: list(opts.exclude),
        onWarning: sink.warn,
      });
      const color = !opts.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
      await writeOutput(renderBench(report, format, { color }), opts.output);
      sink.summary();
      if (failOn) {
        const tripped = benchGate(report, failOn);
        if (tripped.length)
          throw new AirbagError(
            "GATE",
            `${tripped.length} failed check(s) or vulnerabilities at or above ${failOn} (--fail-on ${failOn}): ${tripped.slice(0, 5).join(", ")}${tripped.length > 5 ? ", …" : ""}`,
          );
      }
    });
}
