import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import { type ActionSpec, inputError, type Policy, type PolicyRule } from "../model/index.js";
import { parseDuration } from "./duration.js";
import { complaintFrom } from "./schema-errors.js";

/**
 * Policy files (BRIEF "Policy file"; schema in schemas/policy.schema.json): YAML or JSON, validated
 * against the schema, then checked for what a schema cannot say (channels named by rules exist, rule
 * names are unique, approval settings only with approval). Every complaint is one line naming the
 * file, the line and the key path. `${ENV_NAME}` in channel settings is filled from the environment.
 */

type Segment = string | number;

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    const file = fileURLToPath(new URL("../../schemas/policy.schema.json", import.meta.url));
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictTypes: false });
    validator = ajv.compile(JSON.parse(readFileSync(file, "utf8")) as object);
  }
  return validator;
}

/** Where things are in the source text, for messages. */
class Locator {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** 1-based line of the node at `path` (its key when `atKey`), or of the nearest ancestor found. */
  line(path: Segment[], atKey = false): number {
    for (let n = path.length; n >= 0; n--) {
      const parent = n > 0 ? this.doc.getIn(path.slice(0, n - 1), true) : undefined;
      if (atKey && n === path.length && isMap(parent)) {
        const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === path[n - 1]);
        if (pair && isNode(pair.key) && pair.key.range) return this.lines.linePos(pair.key.range[0]).line;
      }
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return 1;
  }

  error(path: Segment[], message: string, atKey = false): Error {
    const where = keyPath(path);
    return inputError(`${this.file}:${this.line(path, atKey)}: ${where ? `${where}: ` : ""}${message}`);
  }
}

/** ["rules", 0, "when", "severity"] → "rules[0].when.severity" */
export function keyPath(path: Segment[]): string {
  let out = "";
  for (const s of path) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

const ENV_REF = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `${NAME}` → the environment's NAME, `$${NAME}` → a literal `${NAME}`. Applies to every string under
 * `channels` (URLs with tokens, SMTP passwords, webhook secrets, headers). The value never appears in
 * a message.
 */
function expandEnv(value: unknown, path: Segment[], env: NodeJS.ProcessEnv, loc: Locator): unknown {
  if (typeof value === "string") {
    return value.replace(ENV_REF, (_all, escaped: string, name: string) => {
      if (escaped) return `\${${name}}`;
      const v = env[name];
      if (v === undefined || v === "") throw loc.error(path, `environment variable ${name} is not set`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, [...path, i], env, loc));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, [...path, k], env, loc);
    return out;
  }
  return value;
}

const alertsOf = (actions: ActionSpec[]) =>
  actions.flatMap((a, i) => (typeof a === "object" && "alert" in a ? [{ names: a.alert, index: i }] : []));
const hasIntervention = (actions: ActionSpec[]) =>
  actions.some((a) => typeof a === "string" || "stop" in a || "label" in a);

/** Checks the schema cannot express; `policy` already matches the schema. */
function checkSemantics(policy: Policy, loc: Locator): void {
  const channelNames = Object.keys(policy.channels);
  const seen = new Map<string, number>();
  policy.rules.forEach((rule: PolicyRule, r) => {
    const at = (...rest: Segment[]) => ["rules", r, ...rest];
    const first = seen.get(rule.name);
    if (first !== undefined)
      throw loc.error(at("name"), `duplicate rule name "${rule.name}" (also rules[${first}])`);
    seen.set(rule.name, r);

    const lists: [Segment[], ActionSpec[]][] = [[["then"], rule.then]];
    if (rule.escalate) lists.push([["escalate", "then"], rule.escalate.then]);
    for (const [where, actions] of lists) {
      for (const { names, index } of alertsOf(actions)) {
        names.forEach((name, j) => {
          if (!Object.hasOwn(policy.channels, name))
            throw loc.error(
              at(...where, index, "alert", j),
              `no channel named "${name}" (${channelNames.length ? `defined: ${channelNames.join(", ")}` : "the policy defines no channels"})`,
            );
        });
      }
    }

    const approval = rule.approval === "required";
    for (const key of ["timeout", "onTimeout"] as const) {
      if (rule[key] !== undefined && !approval)
        throw loc.error(at(key), `only applies with "approval: required"`, true);
    }
    if (approval && !hasIntervention(rule.then) && !(rule.escalate && hasIntervention(rule.escalate.then)))
      throw loc.error(
        at("approval"),
        "required, but the rule runs no intervention (pause, stop, kill, isolate, label) to approve",
      );
    for (const key of ["timeout", "cooldown"] as const) {
      const text = rule[key];
      if (text === undefined) continue;
      const ms = parseDuration(text);
      if (ms === undefined) throw loc.error(at(key), "is longer than a year");
      if (key === "timeout" && ms === 0) throw loc.error(at(key), "must be longer than 0s");
    }
    if (rule.escalate && rule.escalate.after < 1)
      throw loc.error(at("escalate", "after"), "must be at least 1");
  });
  for (const [name, channel] of Object.entries(policy.channels)) {
    if (channel.type === "webhook" && channel.timeout !== undefined) {
      const ms = parseDuration(channel.timeout);
      if (!ms) throw loc.error(["channels", name, "timeout"], "must be between 1ms and a year");
    }
  }
}

export interface ParseOptions {
  /** where `${NAME}` comes from (default process.env) */
  env?: NodeJS.ProcessEnv;
}

/** A policy from its text; `file` names it in messages. Throws AirbagError (INPUT) on anything wrong. */
export function parsePolicy(text: string, file: string, options: ParseOptions = {}): Policy {
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      logLevel: "error",
    });
  } catch (err) {
    throw inputError(`${file}: not valid YAML (${(err as Error).message.split("\n")[0]})`, err);
  }
  const bad = doc.errors[0];
  if (bad) {
    const pos = lines.linePos(bad.pos[0]);
    throw inputError(`${file}:${pos.line}:${pos.col}: not valid YAML: ${bad.message.split("\n")[0]}`);
  }
  const loc = new Locator(file, doc, lines);
  let data: unknown;
  try {
    // aliases are legal YAML but a policy has no use for them; the cap stops "billion laughs"
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw inputError(`${file}: cannot read the YAML (${(err as Error).message.split("\n")[0]})`, err);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw inputError(
      `${file}:1: a policy must be a mapping with "mode" and "rules" (and usually "channels")`,
    );

  const root = data as Record<string, unknown>;
  if (Object.hasOwn(root, "channels"))
    root.channels = expandEnv(root.channels, ["channels"], options.env ?? process.env, loc);

  const check = validate();
  if (!check(root)) {
    const c = complaintFrom(check.errors ?? []);
    throw loc.error(c.path, c.message, c.atKey);
  }
  const policy = { ...(root as unknown as Policy) };
  policy.channels ??= {};
  checkSemantics(policy, loc);
  return policy;
}

/** `parsePolicy` over a file. */
export async function loadPolicy(path: string, options: ParseOptions = {}): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw inputError(`${path}: cannot read the policy file (${code ?? (err as Error).message})`, err);
  }
  return parsePolicy(text, path, options);
}
