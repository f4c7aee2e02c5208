import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/policy-file.js";
import { REDACTED, redactPolicyYaml } from "../../src/server/policy-redact.js";

/** What a viewer reads of the fleet policy: every kind of channel credential hidden, the rest intact. */

const POLICY = `mode: enforce
channels:
  hook: { type: webhook, url: "http://127.0.0.1:9000/a?token=q-secret-1", secret: "hmac-secret-2", headers: { Authorization: "Bearer hdr-secret-3" } }
  mail: { type: email, to: ["oncall@example.com"], smtp: "smtp://alerts:smtp-secret-4@127.0.0.1:2525" }
  chat: { type: slack, url: "https://hooks.slack.com/services/T0/B0/chat-secret-5" }
  sms: { type: sms, url: "https://gw.example/send?apikey=sms-secret-6", body: "to=1&text={{summary}}" }
  siem: { type: syslog, address: "udp://127.0.0.1:514" }
rules:
  - name: miners
    when: { detector: cryptominer }
    then: [stop, { alert: [hook, mail, chat, sms, siem] }]
`;

describe("redactPolicyYaml", () => {
  it("hides webhook secrets, header values, URL passwords and queries, chat webhook paths", () => {
    const out = redactPolicyYaml(POLICY);
    for (let i = 1; i <= 6; i++) expect(out).not.toMatch(new RegExp(`secret-${i}`));
    expect(out).toContain(REDACTED);
    // still a valid policy with the same channels, rules and non-secret parts
    const p = parsePolicy(out, "redacted");
    expect(Object.keys(p.channels)).toEqual(["hook", "mail", "chat", "sms", "siem"]);
    expect(out).toContain("127.0.0.1:2525");
    expect(out).toContain("udp://127.0.0.1:514");
    expect(out).toContain("hooks.slack.com");
    expect(p.rules[0]?.name).toBe("miners");
  });

  it("returns a policy without credentials byte for byte", () => {
    const plain =
      "mode: dry-run\nchannels: {}\nrules:\n  - name: r\n    when: { detector: cryptominer }\n    then: [stop]\n";
    expect(redactPolicyYaml(plain)).toBe(plain);
  });
});
