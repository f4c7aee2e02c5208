import type { Writable } from "node:stream";
import { AirbagError } from "../../model/index.js";
import type { AlertMessage } from "../../model/policy.js";

/** One configured alert destination. `send` resolves once the receiver accepted the alert. */
export interface Channel {
  /** the key under `channels:` in the policy */
  name: string;
  /** webhook, slack, teams, mattermost, email, sms, syslog, stdout */
  type: string;
  /** throws AirbagError("NETWORK") naming the channel when delivery finally fails (after retries) */
  send(msg: AlertMessage): Promise<void>;
  /** release sockets / SMTP pools (optional) */
  close?(): Promise<void>;
}

/** Knobs the policy file does not carry: test speed-ups and injected sinks. */
export interface ChannelOptions {
  /** retries after the first attempt when the channel config has none (default 3) */
  retries?: number;
  /** first backoff delay; doubles per retry, with jitter (default 500 ms) */
  backoffMs?: number;
  /** cap on one backoff delay (default 30 s) */
  maxBackoffMs?: number;
  /** a Retry-After longer than this is not waited for: the alert fails (and is dead-lettered) (default 60 s) */
  maxRetryAfterMs?: number;
  /** per attempt, when the channel config has no `timeout` (default 10 s) */
  timeoutMs?: number;
  /** where the stdout channel writes (default process.stdout) */
  stdout?: Writable;
  /** HOSTNAME field of syslog lines and default e-mail sender domain (default os.hostname()) */
  hostname?: string;
  /** extra trusted CA certificates (PEM) for syslog tls:// */
  ca?: string | Buffer;
}

export function deliveryError(channel: string, reason: string, cause?: unknown): AirbagError {
  return new AirbagError(
    "NETWORK",
    `channel ${channel}: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

/** Header values and subjects must stay one line whatever a container name contains. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, " ").trim();
}
