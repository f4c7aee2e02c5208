import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { AirbagError, inputError } from "../model/index.js";
import { buildServer } from "../server/app.js";
import type { AdmissionOptions } from "../server/context.js";
import { openStore } from "../server/store/index.js";
import type { Role } from "../server/store/types.js";
import { restrictUmask, warnIfRoot } from "./privileges.js";
import type { GlobalFlags } from "./run.js";

interface ServeFlags {
  listen: string;
  database?: string;
  db?: string;
  state?: string;
  auditLog?: string;
  tlsCert?: string;
  tlsKey?: string;
  workers?: string;
  admissionPolicy?: string;
  rateLimit: string;
  allowRoot?: boolean;
}

const ROLES: Role[] = ["viewer", "operator", "admin", "agent"];
const ADMISSION_KEYS = [
  "requireScan",
  "requireSignature",
  "maxSeverity",
  "exempt",
  "warnOnly",
  "failurePolicy",
  "token",
];

/** HOST:PORT, [v6]:PORT or PORT. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s) ?? /^()()(\d+)$/.exec(s);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !(port >= 0 && port < 65536)) {
    throw new AirbagError("USAGE", `--listen: "${s}" is not HOST:PORT (e.g. 127.0.0.1:8080)`);
  }
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

async function loadAdmission(file: string): Promise<AdmissionOptions> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, "utf8"));
  } catch (e) {
    throw inputError(`${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw inputError(`${file}: expected a mapping`);
  for (const k of Object.keys(doc)) {
    if (!ADMISSION_KEYS.includes(k))
      throw inputError(`${file}: unknown key "${k}" (use ${ADMISSION_KEYS.join(", ")})`);
  }
  return doc as AdmissionOptions;
}

/** `airbag serve` and `airbag token create|list|revoke` (offline token management on the same store). */
export function registerServe(program: Command, _flags: () => GlobalFlags): void {
  program
    .command("serve")
    .description("API, dashboard, admission webhook and fleet server")
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:8080")
    .option("--database <url>", "sqlite:FILE (default in the state dir) or postgres://…")
    .option("--db <file>", "vulnerability database for scan jobs and re-evaluation")
    .option("--state <dir>", "state directory (default ~/.local/state/airbag)")
    .option(
      "--audit-log <file>",
      "hash-chained audit log of every change (default <state>/server-audit.jsonl)",
    )
    .option("--tls-cert <file>", "serve HTTPS with this certificate (PEM)")
    .option("--tls-key <file>", "… and this key")
    .option("--workers <n>", "scan jobs run in this process at once (default 1 on SQLite, 0 on PostgreSQL)")
    .option(
      "--admission-policy <file>",
      "YAML: requireScan, requireSignature, maxSeverity, exempt, warnOnly, failurePolicy, token",
    )
    .option("--rate-limit <n>", "API requests per minute per token or address", "1200")
    .option("--allow-root", "run as root without the warning (it needs no privileges)")
    .action(async (o: ServeFlags) => {
      restrictUmask();
      warnIfRoot("serve", o.allowRoot);
      const { host, port } = parseListen(o.listen);
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey))
        throw new AirbagError("USAGE", "--tls-cert and --tls-key go together");
      const workers = o.workers === undefined ? undefined : Number(o.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
        throw new AirbagError("USAGE", `--workers: "${o.workers}" is not a whole number`);
      const rate = Number(o.rateLimit);
      if (!(Number.isInteger(rate) && rate > 0))
        throw new AirbagError("USAGE", `--rate-limit: "${o.rateLimit}" is not a positive number`);
      const server = await buildServer({
        ...(o.database ? { database: o.database } : {}),
        ...(o.db ? { vulnDb: o.db } : {}),
        ...(o.state ? { stateDir: o.state } : {}),
        ...(o.auditLog ? { auditLog: o.auditLog } : {}),
        ...(o.tlsCert && o.tlsKey ? { tls: { cert: o.tlsCert, key: o.tlsKey } } : {}),
        ...(workers !== undefined ? { inProcessWorkers: workers } : {}),
        ...(o.admissionPolicy ? { admission: await loadAdmission(o.admissionPolicy) } : {}),
        rateLimitPerMinute: rate,
        warn: (m) => console.error(`airbag serve: ${m}`),
      });
      if (!(await server.ctx.store.listTokens()).length) {
        const { secret } = await server.ctx.store.createToken({ name: "bootstrap-admin", role: "admin" });
        await server.ctx.audit.append("change", {
          by: "serve",
          what: "token.create",
          name: "bootstrap-admin",
          role: "admin",
        });
        // shown once: only its hash is stored
        console.error(`airbag serve: no tokens yet; created admin token (shown once): ${secret}`);
      }
      const url = await server.listen(host, port);
      console.error(
        `airbag serve: listening on ${url} (store ${server.ctx.store.kind}, queue ${server.ctx.queue.kind})`,
      );
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      await server.close();
    });

  const token = program.command("token").description("manage the server's API tokens directly in its store");
  const db = [
    "--database <url>",
    "sqlite:FILE or postgres://… (default: the server's sqlite in the state dir)",
  ] as const;
  token
    .command("create")
    .requiredOption("--name <name>", "who or what uses it")
    .requiredOption("--role <role>", ROLES.join(" | "))
    .option("--host <host>", "agents: the only host this token may report for")
    .option(...db)
    .action(async (o: { name: string; role: string; host?: string; database?: string }) => {
      if (!ROLES.includes(o.role as Role))
        throw new AirbagError("USAGE", `--role: "${o.role}" is not one of ${ROLES.join(", ")}`);
      const store = await openStore(o.database);
      try {
        const { record, secret } = await store.createToken({
          name: o.name,
          role: o.role as Role,
          ...(o.host ? { host: o.host } : {}),
        });
        console.error(`created token ${record.id} (${record.role}); the secret is shown once:`);
        console.log(secret);
      } finally {
        await store.close();
      }
    });
  token
    .command("list")
    .option(...db)
    .action(async (o: { database?: string }) => {
      const store = await openStore(o.database);
      try {
        for (const t of await store.listTokens())
          console.log(
            `${t.id}  ${t.role.padEnd(8)}  ${t.name}${t.host ? ` host=${t.host}` : ""}${t.revokedAt ? `  revoked ${t.revokedAt}` : ""}`,
          );
      } finally {
        await store.close();
      }
    });
  token
    .command("revoke <id>")
    .option(...db)
    .action(async (id: string, o: { database?: string }) => {
      const store = await openStore(o.database);
      try {
        if (!(await store.revokeToken(id))) throw inputError(`no token ${id}`);
      } finally {
        await store.close();
      }
    });
}
