import type { ErrorObject } from "ajv";

/**
 * Turns ajv's errors for a policy file into one readable complaint: which key (as a path of segments
 * the caller can locate in the YAML) and what is wrong with it. Values are never quoted back — a
 * channel field may hold a secret expanded from the environment.
 */

export interface SchemaComplaint {
  /** segments from the document root to the offending node (object keys, array indices) */
  path: (string | number)[];
  /** point at the key itself rather than its value (unknown keys, bad channel names) */
  atKey: boolean;
  message: string;
}

/** Hints for `pattern` failures, by the schema location that failed (longest suffix wins). */
const PATTERN_HINTS: [string, string][] = [
  ["duration/pattern", "must be a duration like 30s, 15m, 2h or 1h30m"],
  [
    "severityCondition/pattern",
    'must be a severity (critical, high, medium, low, unknown), optionally with >=, >, <=, < or = in front, like ">=high"',
  ],
  [
    "channelName/pattern",
    "must be a channel name: letters, digits, '_', '.', '-', starting with a letter or digit",
  ],
  ["httpUrl/pattern", "must be an http:// or https:// URL"],
  ["ruleName/pattern", "must not contain control characters"],
  ["to/items/pattern", "must be an email address"],
  ["smtp/pattern", "must be smtp://[user:pass@]host:port or smtps://host:port"],
  ["address/pattern", "must be udp://host:port, tcp://host:port, tls://host:port or unix:///path"],
  ["appName/pattern", "must be 1 to 48 printable ASCII characters without spaces"],
];

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "a mapping (key: value)",
  array: "a list",
  null: "empty",
};

const COMBINATORS = new Set(["if", "oneOf", "anyOf", "allOf", "propertyNames"]);

function segments(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

function wording(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return `missing required key "${String(p.missingProperty)}"`;
    case "enum":
      return `must be one of: ${(p.allowedValues as unknown[]).map(String).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case "type": {
      const types = String(p.type).split(",");
      return `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(" or ")}`;
    }
    case "pattern": {
      const hit = PATTERN_HINTS.find(([suffix]) => e.schemaPath.endsWith(suffix));
      return hit ? hit[1] : `must match ${String(p.pattern)}`;
    }
    case "minItems":
      return p.limit === 1 ? "must not be an empty list" : `must have at least ${String(p.limit)} entries`;
    case "minProperties":
      return p.limit === 1 ? "must not be empty" : `must have at least ${String(p.limit)} keys`;
    case "maxProperties":
      return `must have exactly one key (an action is one of pause, stop, kill, isolate, label, {label: …}, {alert: […]}, {stop: …})`;
    case "minLength":
      return p.limit === 1 ? "must not be empty" : `must be at least ${String(p.limit)} characters`;
    case "maxLength":
      return `must be at most ${String(p.limit)} characters`;
    case "minimum":
      return `must be at least ${String(p.limit)}`;
    case "maximum":
      return `must be at most ${String(p.limit)}`;
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

function depth(e: ErrorObject): number {
  return segments(e.instancePath).length + (e.keyword === "additionalProperties" ? 1 : 0);
}

// Among errors at the same depth the structural ones say more than a bare type mismatch.
const PREFERENCE = ["additionalProperties", "required", "enum", "minLength", "minItems", "pattern", "const"];
const preference = (e: ErrorObject) => {
  const i = PREFERENCE.indexOf(e.keyword);
  return i < 0 ? PREFERENCE.length : i;
};

/** The one complaint to report for a failed validation (ajv run with allErrors + verbose). */
export function complaintFrom(errors: ErrorObject[]): SchemaComplaint {
  // bad channel names come as a propertyNames error plus the inner pattern error
  const badName = errors.find((e) => e.keyword === "propertyNames");
  if (badName) {
    const name = String((badName.params as { propertyName?: string }).propertyName ?? "");
    return {
      path: [...segments(badName.instancePath), name],
      atKey: true,
      message:
        "is not a valid channel name: use letters, digits, '_', '.', '-', starting with a letter or digit",
    };
  }
  const specific = errors.filter((e) => !COMBINATORS.has(e.keyword));
  const pool = specific.length ? specific : errors;
  const best = [...pool].sort((a, b) => depth(b) - depth(a) || preference(a) - preference(b))[0];
  if (!best) return { path: [], atKey: false, message: "does not match the policy schema" };
  const path = segments(best.instancePath);
  if (best.keyword === "additionalProperties") {
    const key = String((best.params as { additionalProperty: string }).additionalProperty);
    const allowed = Object.keys((best.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    return {
      path: [...path, key],
      atKey: true,
      message: `unknown key "${key}"${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`,
    };
  }
  // a glob-or-list slot failing both branches at its own level: say so once
  const oneOf = errors.find((e) => e.keyword === "oneOf" && e.instancePath === best.instancePath);
  if (oneOf && best.keyword === "type")
    return { path, atKey: false, message: "must be a glob or a list of globs" };
  return { path, atKey: false, message: wording(best) };
}
