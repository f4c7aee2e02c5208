import type { AlertMessage } from "../../model/policy.js";

/** RFC 5424 message formatting; transports live in syslog.ts. */

export const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Alert severity → syslog severity (RFC 5424 §6.2.1). */
export const SYSLOG_SEVERITY: Record<string, number> = {
  critical: 2, // crit
  high: 3, // err
  medium: 4, // warning
  low: 5, // notice
  unknown: 6, // info
};

/** Private SD-ID: name@<IANA private enterprise number>; 32473 is the number RFC 5612 reserves for examples. */
export const SD_ID = "airbag@32473";

export interface SyslogFields {
  facility: number;
  hostname: string;
  appName: string;
  procId: string;
}

/** PRINTUSASCII without space, at most `max` characters, "-" when empty (header fields, §6.2). */
function headerField(text: string, max: number): string {
  const clean = text.replace(/[^!-~]/g, "").slice(0, max);
  return clean || "-";
}

/** SD-PARAM values escape `"`, `\` and `]` (§6.3.3). */
function paramValue(text: string): string {
  return text.replace(/[\\"\]]/g, "\\$&");
}

/**
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [airbag@32473 id=… rule=… detector=…] {json}`.
 * MSG is the alert as JSON with every non-ASCII character \u-escaped, so it is plain ASCII and needs
 * no BOM, and a SIEM can JSON.parse it as is.
 */
export function formatSyslog(msg: AlertMessage, fields: SyslogFields, now = new Date()): string {
  const pri = fields.facility * 8 + (SYSLOG_SEVERITY[msg.severity] ?? 6);
  const params: [string, string][] = [
    ["id", msg.id],
    ["event", msg.event],
    ["rule", msg.rule],
    ["detector", msg.detector],
    ["detection", msg.detection],
    ["severity", msg.severity],
    ["container", msg.container.id],
    ["mode", msg.mode],
  ];
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${paramValue(v)}"`).join(" ")}]`;
  const json = JSON.stringify(msg).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const header = [
    `<${pri}>1`,
    now.toISOString(),
    headerField(fields.hostname, 255),
    headerField(fields.appName, 48),
    headerField(fields.procId, 128),
    headerField(msg.event, 32),
  ].join(" ");
  return `${header} ${sd} ${json}`;
}
