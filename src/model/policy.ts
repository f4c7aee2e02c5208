import type { Severity } from "./finding.js";

/**
 * Runtime detections, response policies and the alerts they produce: the shapes `airbag monitor`, the
 * policy engine, the channels, the audit log and later the server share (contract: BRIEF.md "Policy
 * file" and the alert body).
 */

/** The container a detection is about. */
export interface ContainerRef {
  id: string;
  name: string;
  image: string;
  imageId?: string;
  labels?: Record<string, string>;
}

/** One thing a runtime detector saw. */
export interface Detection {
  /** detector that raised it: cryptominer, shell, drift, risky-container, image-trust, new-cve */
  detector: string;
  /** what, within the detector: "miner.process", "miner.stratum", "CIS-5.5", "CVE-2024-21626" */
  id: string;
  /** finding kind the rule language matches on ("runtime" unless it came from a scan: vulnerability, …) */
  kind: string;
  severity: Severity;
  title: string;
  container: ContainerRef;
  /** one line: what was seen, never a whole secret */
  evidence: string;
  /** structured facts (pid, cmdline, remote address, cpu %, …) for JSON consumers */
  details?: Record<string, unknown>;
  /** ISO-8601 time of observation */
  at: string;
  host?: string;
}

export type PolicyMode = "enforce" | "dry-run";

export type InterventionType = "pause" | "stop" | "kill" | "isolate" | "label";

/** An action in a rule's `then`: an intervention, labels to set, or alerts to channels by name. */
export type ActionSpec =
  | InterventionType
  | { label: Record<string, string> }
  | { alert: string[] }
  | { stop: { timeoutSeconds?: number } };

/** `when`: every given field must match (globs for names/images/ids; severity like ">=high"). */
export interface RuleMatch {
  detector?: string | string[];
  kind?: string | string[];
  id?: string | string[];
  severity?: string;
  image?: string | string[];
  name?: string | string[];
  labels?: Record<string, string>;
}

export interface PolicyRule {
  name: string;
  when: RuleMatch;
  then: ActionSpec[];
  /** overrides the policy's global mode */
  mode?: PolicyMode;
  approval?: "none" | "required";
  /** how long an approval waits ("15m"); then `onTimeout` decides */
  timeout?: string;
  onTimeout?: "deny" | "approve";
  /** repeats inside this window ("10m") are counted into the next alert, never dropped */
  cooldown?: string;
  /** after this many repeats (within cooldowns), also run these actions */
  escalate?: { after: number; then: ActionSpec[] };
}

export type ChannelConfig =
  | {
      type: "webhook";
      url: string;
      secret?: string;
      headers?: Record<string, string>;
      retries?: number;
      timeout?: string;
    }
  | { type: "slack" | "teams" | "mattermost"; url: string; retries?: number }
  | {
      type: "email";
      to: string[];
      from?: string;
      /** smtp://[user:pass@]host:port (STARTTLS when offered) or smtps:// (implicit TLS) */
      smtp: string;
      requireTls?: boolean;
      /** accept self-signed certificates (test servers) */
      insecure?: boolean;
    }
  | { type: "sms"; url: string; method?: "POST" | "GET"; body?: string; headers?: Record<string, string> }
  | { type: "syslog"; address: string; facility?: string; appName?: string }
  | { type: "stdout" };

export interface Policy {
  mode: PolicyMode;
  channels: Record<string, ChannelConfig>;
  rules: PolicyRule[];
  /** where undeliverable alerts are kept for `airbag alerts replay` */
  deadLetter?: string;
}

export type ActionStatus = "done" | "dry-run" | "pending" | "failed" | "denied" | "skipped";

export interface ActionOutcome {
  type: string;
  status: ActionStatus;
  /** why it failed / what it did ("disconnected from podman", "approval a1b2 pending") */
  detail?: string;
}

/** The body every channel delivers (JSON for webhooks; rendered as text for chat, email, SMS, syslog). */
export interface AlertMessage {
  /** unique per alert (uuid) */
  id: string;
  event: "detection" | "action" | "approval";
  rule: string;
  mode: PolicyMode;
  detector: string;
  /** detection id (e.g. miner.stratum) */
  detection: string;
  severity: Severity;
  container: ContainerRef;
  evidence: string;
  actions: ActionOutcome[];
  /** one line for SMS / subjects: "[critical] cryptominer in web (nginx:1): …" */
  summary: string;
  /** repeats of the same detection grouped into this alert (cooldown), 1 = just this one */
  count: number;
  time: string;
  host?: string;
  approval?: { id: string; state: "pending" | "approved" | "denied" | "expired"; by?: string };
}
