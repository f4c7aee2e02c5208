import { isIP } from "node:net";
import { severityRank } from "../../match/severity.js";
import type { Detection, Severity } from "../../model/index.js";
import {
  type Connection,
  type ContainerSample,
  type ContainerState,
  detection,
  type RuntimeDetector,
} from "../types.js";
import { loadRuntimeIndicators, type MinerConfidence, type RuntimeIndicators } from "./indicators.js";
import { compileMinerArgv, type PoolEndpoint } from "./miner-argv.js";

/**
 * Cryptominer detector over samples. Four signal kinds, each raised once per container (again only
 * if its severity rises, e.g. CPU alone, then CPU next to a miner process):
 *  - miner.process: a known miner name (comm, argv[0]) or a renamed copy carrying miner-only options;
 *  - miner.stratum: a stratum URL or a known pool host:port in a command line;
 *  - miner.pool-port: a connection to the pool endpoint argv named (strong), or to a common miner port
 *    on a public address (weak and noisy alone: Falco disabled that rule);
 *  - miner.cpu: CPU ≥ a fraction of the container's limit (of one core when unlimited) for a window.
 * Each detection carries a confidence combining every signal seen on the container so far. Pool
 * domains are matched only as written in argv: nothing is ever resolved (Falco's DNS lookups tripped
 * DNS-based IDS, falco#835).
 */

export interface CryptominerOptions {
  indicators?: RuntimeIndicators;
  cpu?: {
    /** fraction of the limit counted as "near" it (default 0.9) */
    fraction?: number;
    /** how long CPU must stay near the limit (default 60 s) */
    windowMs?: number;
    /** cores assumed for a container without a CPU limit (default 1) */
    unlimitedCores?: number;
  };
}

type Signal = "process" | "options" | "stratum" | "poolAddress" | "poolEndpoint" | "poolPort" | "cpu";

interface PerContainer {
  /** signal → weight, everything seen so far */
  signals: Map<Signal, number>;
  /** detection id → severity it was raised with */
  raised: Map<string, Severity>;
  /** endpoints miners' argv named (bounded) */
  endpoints: PoolEndpoint[];
  aboveSince?: number;
  lastCpuAt?: number;
}

/** the signals each detection stands for (the rest are "other" evidence raising its severity) */
const OWN: Record<string, Signal[]> = {
  "miner.process": ["process", "options"],
  "miner.stratum": ["stratum", "poolAddress"],
  "miner.pool-port": ["poolEndpoint", "poolPort"],
  "miner.cpu": ["cpu"],
};

const MAX_ENDPOINTS = 64;
const OUTBOUND = new Set(["ESTABLISHED", "SYN_SENT"]);

/** loopback, RFC 1918, CGNAT, link-local, ULA: a miner port there is not an outside pool */
function isPublic(ip: string): boolean {
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a = 0, b = 0] = v4.split(".").map(Number);
    return !(
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b < 128) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168)
    );
  }
  const l = ip.toLowerCase();
  return !(l === "::" || l === "::1" || /^f[cd]/.test(l) || /^fe[89ab]/.test(l));
}

const sameIp = (a: string, b: string) =>
  a.toLowerCase().replace(/^::ffff:/, "") === b.toLowerCase().replace(/^::ffff:/, "");

/** 1 − Π(1 − w): independent signals reinforce each other, none reaches 1 alone */
const combine = (weights: Iterable<number>) =>
  Math.round((1 - [...weights].reduce((p, w) => p * (1 - w), 1)) * 1000) / 1000;

export function createCryptominerDetector(opts: CryptominerOptions = {}): RuntimeDetector {
  const ind = opts.indicators ?? loadRuntimeIndicators();
  const argv = compileMinerArgv(ind);
  const weight: MinerConfidence = ind.miner.confidence;
  const fraction = opts.cpu?.fraction ?? 0.9;
  const windowMs = opts.cpu?.windowMs ?? 60_000;
  const unlimitedCores = opts.cpu?.unlimitedCores ?? 1;
  const states = new Map<string, PerContainer>();

  const stateOf = (id: string): PerContainer => {
    let s = states.get(id);
    if (!s) {
      s = { signals: new Map(), raised: new Map(), endpoints: [] };
      states.set(id, s);
    }
    return s;
  };

  /** whether the CPU has now been near the limit for the whole window */
  function sustainedCpu(st: PerContainer, c: ContainerState, s: ContainerSample): number | undefined {
    if (s.cpuPercent === undefined) return undefined;
    const threshold = fraction * (c.cpuLimitCores ?? unlimitedCores) * 100;
    const gap = st.lastCpuAt !== undefined && s.at - st.lastCpuAt > windowMs;
    st.lastCpuAt = s.at;
    if (s.cpuPercent < threshold) {
      st.aboveSince = undefined;
      return undefined;
    }
    // a gap longer than the window (monitor paused, engine away) says nothing about the time between
    if (st.aboveSince === undefined || gap) st.aboveSince = s.at;
    return s.at - st.aboveSince >= windowMs ? threshold : undefined;
  }

  return {
    name: "cryptominer",
    onSample(c, s, ctx) {
      const st = stateOf(c.ref.id);
      type Pending = { id: string; severity: (others: boolean) => Severity; title: string; evidence: string };
      const pending: Pending[] = [];
      const details: Record<string, Record<string, unknown>> = {};
      const note = (sig: Signal) => st.signals.set(sig, Math.max(st.signals.get(sig) ?? 0, weight[sig]));

      for (const p of s.processes ?? []) {
        const a = argv.analyse(p);
        for (const e of a.endpoints)
          if (
            st.endpoints.length < MAX_ENDPOINTS &&
            !st.endpoints.some((x) => x.host === e.host && x.port === e.port)
          )
            st.endpoints.push(e);
        const cmd = argv.evidenceOf(p.argv.length ? p.argv : [p.comm]);
        if ((a.name || a.options.length) && !details["miner.process"]) {
          note(a.name ? "process" : "options");
          const how = a.name
            ? `named like the miner ${a.name}`
            : `renamed copy with miner options ${a.options.slice(0, 3).join(", ")}`;
          details["miner.process"] = { pid: p.pid, comm: p.comm, cmdline: cmd, options: a.options };
          pending.push({
            id: "miner.process",
            severity: () => (a.name || a.decisive ? "critical" : "high"),
            title: "Cryptominer process running",
            evidence: `pid ${p.pid} (${p.comm}) ${how}: ${cmd}`,
          });
        }
        if ((a.stratum.length || a.poolAddresses.length) && !details["miner.stratum"]) {
          note(a.stratum.length ? "stratum" : "poolAddress");
          const what = a.stratum[0] ?? a.poolAddresses[0];
          details["miner.stratum"] = {
            pid: p.pid,
            comm: p.comm,
            cmdline: cmd,
            stratum: a.stratum,
            poolAddresses: a.poolAddresses,
          };
          pending.push({
            id: "miner.stratum",
            severity: () => "critical",
            title: "Process talks to a mining pool (stratum URL or pool host in its arguments)",
            evidence: `pid ${p.pid} (${p.comm}) ${a.stratum.length ? "stratum URL" : "pool address"} ${argv.evidenceOf([what!])}`,
          });
        }
      }

      const pool = poolConnection(s.connections ?? [], st.endpoints);
      if (pool) {
        note(pool.named ? "poolEndpoint" : "poolPort");
        const remote = `${pool.c.remote.ip}:${pool.c.remote.port}`;
        details["miner.pool-port"] = {
          remote,
          local: `${pool.c.local.ip}:${pool.c.local.port}`,
          state: pool.c.state,
          namedInArgv: pool.named,
        };
        pending.push({
          id: "miner.pool-port",
          severity: (others) => (pool.named ? "critical" : others ? "high" : "medium"),
          title: pool.named
            ? "Connection to the mining pool named in a command line"
            : "Connection to a common miner port",
          evidence: pool.named
            ? `${pool.c.proto} ${pool.c.state} to ${remote}, the pool endpoint a process's arguments name`
            : `${pool.c.proto} ${pool.c.state} to ${remote} (port ${pool.c.remote.port} is on the miner port list)`,
        });
      }

      const threshold = sustainedCpu(st, c, s);
      if (threshold !== undefined) {
        note("cpu");
        const limit =
          c.cpuLimitCores === undefined
            ? `no limit, ${unlimitedCores} core assumed`
            : `limit ${c.cpuLimitCores} cores`;
        details["miner.cpu"] = {
          cpuPercent: s.cpuPercent,
          thresholdPercent: threshold,
          windowMs,
          cpuLimitCores: c.cpuLimitCores ?? null,
        };
        pending.push({
          id: "miner.cpu",
          severity: (others) => (others ? "high" : "medium"),
          title: "Sustained CPU near the container's limit",
          evidence: `CPU ${s.cpuPercent!.toFixed(0)}% ≥ ${threshold.toFixed(0)}% (${limit}) for ${Math.round((s.at - st.aboveSince!) / 1000)} s`,
        });
      }

      const out: Detection[] = [];
      const confidence = combine(st.signals.values());
      const signals = [...st.signals.keys()].sort();
      for (const p of pending) {
        const severity = p.severity(signals.some((sig) => !OWN[p.id]!.includes(sig)));
        // once per kind; again only when it got worse (a port-only hit, then the pool argv names)
        const before = st.raised.get(p.id);
        if (before && severityRank(severity) <= severityRank(before)) continue;
        st.raised.set(p.id, severity);
        out.push(
          detection("cryptominer", p.id, severity, p.title, c, p.evidence, ctx, {
            ...details[p.id],
            confidence,
            signals,
          }),
        );
      }
      return out;
    },
    forget(id) {
      states.delete(id);
    },
  };

  /** the connection most telling of a miner: to an endpoint argv named, else a miner port outside */
  function poolConnection(
    conns: Connection[],
    named: PoolEndpoint[],
  ): { c: Connection; named: boolean } | undefined {
    const listening = new Set(conns.filter((c) => c.state === "LISTEN").map((c) => c.local.port));
    const outbound = conns.filter(
      (c) =>
        (OUTBOUND.has(c.state) || c.proto.startsWith("udp")) &&
        c.remote.port > 0 &&
        !listening.has(c.local.port),
    );
    const toNamed = outbound.find((c) =>
      named.some((e) => e.port === c.remote.port && isIP(e.host) && sameIp(e.host, c.remote.ip)),
    );
    if (toNamed) return { c: toNamed, named: true };
    const toPort = outbound.find((c) => argv.poolPorts.has(c.remote.port) && isPublic(c.remote.ip));
    return toPort ? { c: toPort, named: false } : undefined;
  }
}
