/** The example in BRIEF.md "Policy file", verbatim. */
export const BRIEF_POLICY = `mode: enforce                      # enforce | dry-run — global default; a rule may override it
channels:
  ops-hook: { type: webhook, url: "http://127.0.0.1:9000/airbag", secret: "change-me" }  # header X-Airbag-Signature: sha256=<hex HMAC-SHA256 of the body>
  oncall:   { type: email, to: ["oncall@example.com"], smtp: "smtp://127.0.0.1:2525" }
  pager:    { type: sms, url: "https://gateway.example/send", body: "to=+3610000000&text={{summary}}" }
  siem:     { type: syslog, address: "udp://127.0.0.1:514" }
rules:
  - name: isolate-miners
    when: { detector: cryptominer }          # also: kind, id, severity: ">=high", image: "glob", labels: {k: v}
    then: [isolate, { alert: [ops-hook, oncall] }]   # actions: alert, pause, stop, kill, isolate, label
    approval: none                           # or: required (with timeout: 15m, onTimeout: deny|approve)
    cooldown: 10m                            # repeats inside it are counted into the next alert, never dropped
`;
