import { commandTokens } from "../../detect/malware/config-scanner.js";
import type { ProcessInfo } from "../types.js";
import { baseName, type RuntimeIndicators } from "./indicators.js";

/**
 * What a process's name and command line say about mining: a known miner name (comm, argv[0]), options
 * only miners take (`--donate-level`, `--coin monero`, `-a rx/0`, `-o host:3333`), stratum URLs and
 * known pool hosts, and the pool endpoints argv names (to recognise the miner's own connection without
 * ever resolving a name). Pure string work over the indicator lists; passwords are masked in evidence.
 */

export interface PoolEndpoint {
  /** lower-case host as written in argv (an IP literal or a name; names are never resolved) */
  host: string;
  port: number;
}

export interface MinerArgv {
  /** known miner name from comm or argv[0] */
  name?: string;
  /** miner-only options seen, as written (`--donate-level=1`, `-a rx/0`, `-o pool:3333`) */
  options: string[];
  /** true when some option is decisive on its own (not just a `-o host:port` on a miner port) */
  decisive: boolean;
  /** stratum URLs */
  stratum: string[];
  /** `host:port` of known pool domains */
  poolAddresses: string[];
  /** endpoints named by stratum URLs and pool options */
  endpoints: PoolEndpoint[];
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const MAX_EVIDENCE = 200;

/** `scheme://user:password@host` → `scheme://user:***@host` */
const maskUrlPassword = (s: string) => s.replace(/(:\/\/[^:@\s/]*:)[^@\s/]*@/g, "$1***@");

/** `--opt=value` / `--opt value` / `-o value` → value of `names` at position i, and how many tokens it used */
function optionValue(tokens: string[], i: number, names: Set<string>): string | undefined {
  const t = tokens[i]!;
  const eq = t.indexOf("=");
  if (t.startsWith("--") && eq > 0) return names.has(t.slice(0, eq)) ? t.slice(eq + 1) : undefined;
  return names.has(t) ? tokens[i + 1] : undefined;
}

export function compileMinerArgv(ind: RuntimeIndicators) {
  const pack = ind.malware;
  const m = ind.miner;
  const binaries = new Set(pack.minerBinaries.map((b) => b.toLowerCase()));
  const minerOnly = new Set(pack.minerOptions);
  const poolOpts = new Set(m.poolOptions);
  const algoOpts = new Set(m.algorithmOptions);
  const coinOpts = new Set(m.coinOptions);
  const algorithms = new Set(m.algorithms.map((a) => a.toLowerCase()));
  const coins = new Set(m.coins.map((c) => c.toLowerCase()));
  const secretOpts = new Set(m.secretOptions);
  const ambiguous = new Set(pack.ambiguousPorts.ports);
  const poolPorts = new Set(pack.minerPorts.filter((p) => !ambiguous.has(p)));
  const domains = pack.poolDomains.domains.map((d) => d.toLowerCase());
  const stratumRe = new RegExp(
    `(?:${pack.stratumSchemes.map(esc).join("|")})(?:[^@\\s/]*@)?(\\[[0-9a-f:.]+\\]|[\\w.-]+)(?::(\\d{1,5}))?`,
    "i",
  );
  const hostPortRe = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@\s/]*@)?(\[[0-9a-f:.]+\]|[\w.-]+):(\d{1,5})\/?$/i;
  const isPoolHost = (host: string) => domains.some((d) => host === d || host.endsWith(`.${d}`));

  /** `xmrig`, `/opt/xmrig`, `xmrig-6.21.0`, `cpuminer-opt` → the miner name */
  const minerName = (token: string | undefined): string | undefined => {
    if (!token) return undefined;
    const base = baseName(token).toLowerCase();
    if (binaries.has(base)) return base;
    // a release or variant suffix: every prefix ending before a separator (t-rex-0.26 → t-rex)
    for (const sep of base.matchAll(/[-_.]/g)) {
      const prefix = base.slice(0, sep.index);
      if (binaries.has(prefix)) return prefix;
    }
    return undefined;
  };

  function analyse(p: ProcessInfo): MinerArgv {
    const out: MinerArgv = { options: [], decisive: false, stratum: [], poolAddresses: [], endpoints: [] };
    out.name = minerName(p.comm) ?? minerName(p.argv[0]);
    const tokens = p.argv.flatMap(commandTokens);
    const addEndpoint = (host: string, port: string | undefined) => {
      const n = Number(port);
      if (!port || !(n > 0 && n < 65536)) return;
      const h = host.replace(/^\[|\]$/g, "").toLowerCase();
      if (!out.endpoints.some((e) => e.host === h && e.port === n)) out.endpoints.push({ host: h, port: n });
    };
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const s = stratumRe.exec(t);
      if (s) {
        out.stratum.push(maskUrlPassword(s[0]));
        addEndpoint(s[1]!, s[2]);
      }
      const hp = hostPortRe.exec(t);
      if (hp && isPoolHost(hp[1]!.toLowerCase())) out.poolAddresses.push(`${hp[1]}:${hp[2]}`);
      const opt = t.split("=")[0]!;
      if (minerOnly.has(opt)) {
        out.options.push(t);
        out.decisive = true;
      }
      const algo = optionValue(tokens, i, algoOpts);
      if (algo && algorithms.has(algo.toLowerCase())) {
        out.options.push(t.includes("=") ? t : `${t} ${algo}`);
        out.decisive = true;
      }
      const coin = optionValue(tokens, i, coinOpts);
      if (coin && coins.has(coin.toLowerCase())) {
        out.options.push(t.includes("=") ? t : `${t} ${coin}`);
        out.decisive = true;
      }
      const pool = optionValue(tokens, i, poolOpts);
      const php = pool ? hostPortRe.exec(pool) : null;
      if (php) {
        const host = php[1]!.toLowerCase();
        if (isPoolHost(host) || poolPorts.has(Number(php[2]))) {
          out.options.push(t.includes("=") ? t : `${t} ${pool}`);
          addEndpoint(host, php[2]);
        }
      }
    }
    return out;
  }

  /** argv as one line with passwords (`-p x`, `--pass=x`, `user:pass@`) masked, clipped */
  function evidenceOf(argv: string[]): string {
    const shown = argv.map((a, i) => {
      const prev = argv[i - 1];
      if (prev !== undefined && secretOpts.has(prev)) return "***";
      const eq = a.indexOf("=");
      if (a.startsWith("--") && eq > 0 && secretOpts.has(a.slice(0, eq))) return `${a.slice(0, eq)}=***`;
      return maskUrlPassword(a);
    });
    const line = shown.join(" ");
    return line.length > MAX_EVIDENCE ? `${line.slice(0, MAX_EVIDENCE - 1)}…` : line;
  }

  return { analyse, evidenceOf, poolPorts, ambiguous };
}

export type MinerArgvAnalyser = ReturnType<typeof compileMinerArgv>;
