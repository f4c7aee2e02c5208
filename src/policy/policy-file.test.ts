import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AirbagError } from "../model/index.js";
import { loadPolicy, parsePolicy } from "./policy-file.js";
import { BRIEF_POLICY } from "./policy-fixtures.testutil.js";

/** The message of the AirbagError `fn` throws (fails the test when it throws something else). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).code).toBe("INPUT");
    const msg = (err as Error).message;
    expect(msg).not.toContain("\n");
    return msg;
  }
  throw new Error("expected an error");
}

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parsePolicy(text, "p.yaml", { env });

const base = (rules: string, channels = "  ops: { type: stdout }\n") =>
  `mode: enforce\nchannels:\n${channels}rules:\n${rules}`;

/** `${NAME}` as written in a policy file (built, so no string literal looks like a template slip). */
const env = (name: string) => `$\{${name}}`;
/** Rules' `then` key, spelled once (a literal `then:` in an object reads as a thenable to linters). */
const THEN = "then";

describe("parsePolicy", () => {
  it("reads the BRIEF example into the Policy shape", () => {
    const p = parse(BRIEF_POLICY);
    expect(p.mode).toBe("enforce");
    expect(Object.keys(p.channels)).toEqual(["ops-hook", "oncall", "pager", "siem"]);
    expect(p.channels["ops-hook"]).toEqual({
      type: "webhook",
      url: "http://127.0.0.1:9000/airbag",
      secret: "change-me",
    });
    expect(p.rules).toEqual([
      {
        name: "isolate-miners",
        when: { detector: "cryptominer" },
        [THEN]: ["isolate", { alert: ["ops-hook", "oncall"] }],
        approval: "none",
        cooldown: "10m",
      },
    ]);
  });

  it("accepts JSON too, and a policy without channels", () => {
    const p = parse(JSON.stringify({ mode: "dry-run", rules: [{ name: "r", when: {}, [THEN]: ["pause"] }] }));
    expect(p.channels).toEqual({});
    expect(p.rules[0]!.then).toEqual(["pause"]);
  });

  it("names file, line and key path for a bad severity", () => {
    const text = base(`  - name: r\n    when:\n      severity: "very high"\n    then: [pause]\n`);
    expect(errorOf(() => parse(text))).toBe(
      'p.yaml:7: rules[0].when.severity: must be a severity (critical, high, medium, low, unknown), optionally with >=, >, <=, < or = in front, like ">=high"',
    );
  });

  it("rejects unknown keys, pointing at the key's own line", () => {
    const text = base(`  - name: r\n    when: { detector: shell }\n    then: [pause]\n    cooldwn: 5m\n`);
    expect(errorOf(() => parse(text))).toMatch(
      /^p\.yaml:8: rules\[0\]\.cooldwn: unknown key "cooldwn" \(allowed: name, when, then,/,
    );
    expect(errorOf(() => parse(`mode: enforce\nrules: []\nextra: 1\n`))).toMatch(
      /^p\.yaml:3: extra: unknown key/,
    );
    expect(errorOf(() => parse(base(`  - name: r\n    when: { detektor: x }\n    then: [pause]\n`)))).toMatch(
      /^p\.yaml:6: rules\[0\]\.when\.detektor: unknown key "detektor"/,
    );
  });

  it("checks each channel type's own fields", () => {
    expect(
      errorOf(() => parse(base("  []\n", '  mail: { type: email, smtp: "smtp://127.0.0.1:25" }\n'))),
    ).toBe('p.yaml:3: channels.mail: missing required key "to"');
    expect(errorOf(() => parse(base("  []\n", "  hook: { type: webhook, url: ftp://x }\n")))).toBe(
      "p.yaml:3: channels.hook.url: must be an http:// or https:// URL",
    );
    expect(
      errorOf(() => parse(base("  []\n", '  s: { type: slack, url: "https://h", secret: x }\n'))),
    ).toMatch(/^p\.yaml:3: channels\.s\.secret: unknown key "secret" \(allowed: type, url, retries\)/);
    expect(errorOf(() => parse(base("  []\n", "  x: { type: pigeon }\n")))).toMatch(
      /^p\.yaml:3: channels\.x\.type: must be one of: webhook, slack, teams, mattermost, email, sms, syslog, stdout/,
    );
    expect(
      errorOf(() => parse(base("  []\n", '  l: { type: syslog, address: "udp://h:514", facility: nope }\n'))),
    ).toMatch(/channels\.l\.facility: must be one of: kern/);
    expect(errorOf(() => parse(base("  []\n", "  'bad name': { type: stdout }\n")))).toMatch(
      /^p\.yaml:3: channels\.bad name: is not a valid channel name/,
    );
  });

  it("asks for a channel's type first and says which rule names are bad", () => {
    expect(errorOf(() => parse(base("  []\n", '  a: { url: "https://h" }\n')))).toBe(
      'p.yaml:3: channels.a: missing required key "type"',
    );
    expect(errorOf(() => parse(base("  - { name: '', when: {}, then: [pause] }\n")))).toBe(
      "p.yaml:5: rules[0].name: must not be empty",
    );
  });

  it("rejects bad durations, modes, actions and escalation counts", () => {
    const rule = (extra: string, then = "[pause]") =>
      base(`  - name: r\n    when: {}\n    then: ${then}\n${extra}`);
    expect(errorOf(() => parse(rule("    cooldown: 10 minutes\n")))).toBe(
      "p.yaml:8: rules[0].cooldown: must be a duration like 30s, 15m, 2h or 1h30m",
    );
    expect(errorOf(() => parse(rule("    cooldown: 99999999d\n")))).toBe(
      "p.yaml:8: rules[0].cooldown: is longer than a year",
    );
    expect(errorOf(() => parse(rule("    mode: audit\n")))).toBe(
      "p.yaml:8: rules[0].mode: must be one of: enforce, dry-run",
    );
    expect(errorOf(() => parse(rule("", "[isolat]")))).toBe(
      "p.yaml:7: rules[0].then[0]: must be one of: pause, stop, kill, isolate, label",
    );
    expect(errorOf(() => parse(rule("", "[{ alrt: [ops] }]")))).toMatch(
      /^p\.yaml:7: rules\[0\]\.then\[0\]\.alrt: unknown key "alrt" \(allowed: label, alert, stop\)/,
    );
    expect(errorOf(() => parse(rule("", "[]")))).toBe("p.yaml:7: rules[0].then: must not be an empty list");
    expect(errorOf(() => parse(rule("    escalate: { after: 0, then: [kill] }\n")))).toBe(
      "p.yaml:8: rules[0].escalate.after: must be at least 1",
    );
    expect(errorOf(() => parse(rule("", "[pause]\n    when: {}")))).toBe(
      "p.yaml:8:5: not valid YAML: Map keys must be unique",
    );
    expect(errorOf(() => parse(base(`  - name: r\n    when: { image: 5 }\n    then: [pause]\n`)))).toBe(
      "p.yaml:6: rules[0].when.image: must be a glob or a list of globs",
    );
    expect(errorOf(() => parse("rules: []\n"))).toBe('p.yaml:1: missing required key "mode"');
  });

  it("checks what the schema cannot: channel names, unique rule names, approval settings", () => {
    const alertUnknown = base(`  - name: r\n    when: {}\n    then: [pause, { alert: [ops, pager] }]\n`);
    expect(errorOf(() => parse(alertUnknown))).toBe(
      'p.yaml:7: rules[0].then[1].alert[1]: no channel named "pager" (defined: ops)',
    );
    const escalateUnknown = base(
      `  - name: r\n    when: {}\n    then: [pause]\n    escalate:\n      after: 3\n      then: [{ alert: [pager] }]\n`,
    );
    expect(errorOf(() => parse(escalateUnknown))).toMatch(
      /^p\.yaml:10: rules\[0\]\.escalate\.then\[0\]\.alert\[0\]: no channel named "pager"/,
    );
    const dup = base(`  - { name: a, when: {}, then: [pause] }\n  - { name: a, when: {}, then: [stop] }\n`);
    expect(errorOf(() => parse(dup))).toBe(
      'p.yaml:6: rules[1].name: duplicate rule name "a" (also rules[0])',
    );
    const timeoutAlone = base(`  - name: r\n    when: {}\n    then: [stop]\n    timeout: 15m\n`);
    expect(errorOf(() => parse(timeoutAlone))).toBe(
      'p.yaml:8: rules[0].timeout: only applies with "approval: required"',
    );
    const onlyAlerts = base(
      `  - name: r\n    when: {}\n    then: [{ alert: [ops] }]\n    approval: required\n`,
    );
    expect(errorOf(() => parse(onlyAlerts))).toMatch(
      /^p\.yaml:8: rules\[0\]\.approval: required, but the rule runs no intervention/,
    );
    const ok = base(
      `  - name: r\n    when: {}\n    then: [stop]\n    approval: required\n    timeout: 15m\n    onTimeout: approve\n`,
    );
    expect(parse(ok).rules[0]).toMatchObject({ approval: "required", timeout: "15m", onTimeout: "approve" });
  });

  it("expands $ENV references in channel settings, never echoing values, and names a missing variable", () => {
    const text = base(
      "  []\n",
      `  hook: { type: webhook, url: "https://h.example/${env("HOOK_PATH")}", secret: "${env("HOOK_SECRET")}", headers: { X-Literal: "$${env("NOT_EXPANDED")}" } }\n`,
    );
    const p = parse(text, { HOOK_PATH: "a/b", HOOK_SECRET: "s3cr3t-value" });
    expect(p.channels.hook).toEqual({
      type: "webhook",
      url: "https://h.example/a/b",
      secret: "s3cr3t-value",
      headers: { "X-Literal": env("NOT_EXPANDED") },
    });
    expect(errorOf(() => parse(text, { HOOK_PATH: "a" }))).toBe(
      "p.yaml:3: channels.hook.secret: environment variable HOOK_SECRET is not set",
    );
    // a secret that makes the channel invalid is reported without its value
    const badUrl = base("  []\n", `  hook: { type: webhook, url: "${env("HOOK_URL")}" }\n`);
    const msg = errorOf(() => parse(badUrl, { HOOK_URL: "ftp://user:hunter2@h" }));
    expect(msg).toBe("p.yaml:3: channels.hook.url: must be an http:// or https:// URL");
    expect(msg).not.toContain("hunter2");
  });

  it("refuses YAML that is not a mapping, multi-document files, and alias bombs", () => {
    expect(errorOf(() => parse(""))).toMatch(/^p\.yaml:1: a policy must be a mapping/);
    expect(errorOf(() => parse("- a\n- b\n"))).toMatch(/^p\.yaml:1: a policy must be a mapping/);
    expect(errorOf(() => parse("mode: enforce\n---\nmode: enforce\n"))).toMatch(
      /^p\.yaml:\d+:\d+: not valid YAML/,
    );
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${"b".repeat(i)}: &${"b".repeat(i)} [${Array(10)
          .fill(i === 1 ? "*a" : `*${"b".repeat(i - 1)}`)
          .join(", ")}]`,
      );
    expect(errorOf(() => parse(bomb.join("\n")))).toMatch(/^p\.yaml: cannot read the YAML/);
  });

  it("never throws anything but a one-line AirbagError on arbitrary text", () => {
    const fragments = [
      "mode: enforce\n",
      "mode: dry-run\n",
      "rules:\n",
      "  - name: r\n",
      "    when: {}\n",
      "    then: [pause]\n",
      "channels:\n",
      "  a: { type: stdout }\n",
      "  - ",
      ": ",
      "[",
      "]",
      "{",
      "}",
      "&x ",
      "*x",
      "!!binary ",
      "\t",
      "'",
      '"',
      "#",
      "---\n",
      env("X"),
      "cooldown: 1h\n",
      "escalate: {after: 2, then: [kill]}\n",
      "\u0000",
      "~",
      "? ",
    ];
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.array(fc.constantFrom(...fragments), { maxLength: 30 }).map((a) => a.join("")),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          parsePolicy(t, "f.yaml", { env: {} });
        } catch (err) {
          if (!(err instanceof AirbagError)) throw err;
          expect(err.message).not.toContain("\n");
          expect(err.message.startsWith("f.yaml")).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe("loadPolicy", () => {
  it("reads a file and names it in errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "airbag-policy-"));
    const good = join(dir, "policy.yaml");
    writeFileSync(good, BRIEF_POLICY);
    expect((await loadPolicy(good)).rules).toHaveLength(1);
    await expect(loadPolicy(join(dir, "missing.yaml"))).rejects.toThrow(
      /missing\.yaml: cannot read the policy file \(ENOENT\)/,
    );
  });
});
