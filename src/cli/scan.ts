import type { Command } from "commander";
import { parseSeverityList } from "../match/severity.js";
import { AirbagError, type Severity } from "../model/index.js";
import { reportFormatter } from "../report/report-format.js";
import { gateTripped, SCANNERS, type ScannerName, scan } from "../scan.js";
import { VERSION } from "../version.js";
import { type GlobalFlags, parseFailOn, warningSink, writeOutput } from "./run.js";

interface ScanFlags {
  db?: string;
  scanners: string;
  format: string;
  output?: string;
  severity?: string;
  failOn?: string;
  onlyFixed?: boolean;
  ignoreFile?: string;
  vex?: string;
  platform?: string;
  insecure?: boolean;
  engine?: string;
  cache: boolean;
  cacheDir?: string;
}

export function registerScan(program: Command, flags: () => GlobalFlags): void {
  program
    .command("scan")
    .description("find vulnerabilities, secrets, malware and misconfigurations in an image (or SBOM)")
    .argument(
      "<target>",
      "registry:REF | engine:REF | docker-archive:PATH | oci:PATH[:TAG|@DIGEST] | dir:PATH | sbom:PATH | a bare path or image reference",
    )
    .option("--db <file>", "vulnerability database (default $AIRBAG_DB, else ~/.cache/airbag/db.sqlite)")
    .option("--scanners <list>", `comma list of ${SCANNERS.join(", ")}`, SCANNERS.join(","))
    .option("-f, --format <format>", "table | json | sarif | cyclonedx | spdx | html", "table")
    .option("-o, --output <file>", "write to FILE instead of stdout")
    .option("--severity <list>", "report only these severities (others are listed as suppressed)")
    .option("--fail-on <severity>", "exit 1 when a reported finding is at least this severe")
    .option("--only-fixed", "report only vulnerabilities that have a fixed version")
    .option("--ignore-file <file>", "YAML list of accepted findings (id, package, path, reason, expires)")
    .option("--vex <file>", "OpenVEX document: not_affected / fixed statements suppress findings")
    .option("--platform <os/arch[/variant]>", "platform to pick from a multi-platform index")
    .option("--insecure", "allow plain HTTP and unverified TLS for the registry")
    .option("--engine <socket>", "Docker / podman API for engine: targets (unix:///PATH.sock)")
    .option("--no-cache", "analyse every layer again (no per-layer result cache)")
    .option("--cache-dir <dir>", "where the layer cache lives (default: beside the vulnerability database)")
    .action(async (target: string, opts: ScanFlags) => {
      // every flag is checked before the (possibly long) scan
      const formatter = reportFormatter(opts.format);
      const scanners = parseScanners(opts.scanners);
      const severities = opts.severity ? [...severityList("--severity", opts.severity)] : undefined;
      const failOn = opts.failOn ? parseFailOn(opts.failOn) : undefined;
      const sink = warningSink(flags());
      const report = await scan(target, {
        ...(opts.db ? { db: opts.db } : {}),
        scanners,
        ...(severities ? { severities } : {}),
        ...(opts.onlyFixed ? { onlyFixed: true } : {}),
        ...(opts.ignoreFile ? { ignoreFile: opts.ignoreFile } : {}),
        ...(opts.vex ? { vex: opts.vex } : {}),
        ...(opts.platform ? { platform: opts.platform } : {}),
        ...(opts.insecure ? { insecure: true } : {}),
        ...(opts.engine ? { engine: opts.engine } : {}),
        cache: opts.cache ? (opts.cacheDir ?? true) : false,
        onWarning: sink.warn,
      });
      const color = !opts.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
      await writeOutput(formatter.render(report, { color, toolVersion: VERSION }), opts.output);
      sink.summary();
      if (failOn) {
        const tripped = gateTripped(report, failOn);
        if (tripped.length)
          throw new AirbagError(
            "GATE",
            `${tripped.length} finding(s) at or above ${failOn} (--fail-on ${failOn}); e.g. ${tripped
              .slice(0, 3)
              .map((f) => f.id)
              .join(", ")}`,
          );
      }
    });
}

function parseScanners(list: string): ScannerName[] {
  const out = new Set<ScannerName>();
  for (const raw of list.split(",")) {
    const s = raw.trim();
    if (!s) continue;
    if (!(SCANNERS as readonly string[]).includes(s))
      throw new AirbagError("USAGE", `--scanners: unknown scanner "${s}"; use ${SCANNERS.join(", ")}`);
    out.add(s as ScannerName);
  }
  if (out.size === 0) throw new AirbagError("USAGE", "--scanners: name at least one scanner");
  return [...out];
}

function severityList(flag: string, list: string): Set<Severity> {
  try {
    return parseSeverityList(list);
  } catch (err) {
    throw new AirbagError("USAGE", `${flag}: ${(err as Error).message}`);
  }
}
