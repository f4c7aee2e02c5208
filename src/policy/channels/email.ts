import { isIP } from "node:net";
import { hostname as osHostname } from "node:os";
import nodemailer from "nodemailer";
import { inputError } from "../../model/index.js";
import type { AlertMessage, ChannelConfig } from "../../model/policy.js";
import { alertFacts, SEVERITY_COLOR } from "./alert-text.js";
import type { Channel, ChannelOptions } from "./channel.js";
import { oneLine } from "./channel.js";
import { type AttemptResult, retryPlan, withRetries } from "./retry.js";

type EmailConfig = Extract<ChannelConfig, { type: "email" }>;

export interface SmtpSettings {
  host: string;
  port: number;
  /** implicit TLS from the first byte (smtps://) */
  secure: boolean;
  auth?: { user: string; pass: string };
}

/** smtp://[user:pass@]host[:port] (STARTTLS when offered) or smtps://… (implicit TLS, port 465). */
export function parseSmtpUrl(url: string, where: string): SmtpSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw inputError(`${where}: "${redactSmtp(url)}" is not an smtp:// or smtps:// URL`);
  }
  if (u.protocol !== "smtp:" && u.protocol !== "smtps:")
    throw inputError(`${where}: scheme must be smtp:// or smtps://, not ${u.protocol}//`);
  if (!u.hostname) throw inputError(`${where}: the SMTP URL has no host`);
  const secure = u.protocol === "smtps:";
  const settings: SmtpSettings = {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
  };
  if (u.username)
    settings.auth = { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
  return settings;
}

function redactSmtp(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export function emailText(msg: AlertMessage): string {
  const width = Math.max(...alertFacts(msg).map(([l]) => l.length));
  const rows = alertFacts(msg).map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`);
  return `${msg.summary}\n\n${rows.join("\n")}\n`;
}

export function emailHtml(msg: AlertMessage): string {
  const color = SEVERITY_COLOR[msg.severity] ?? SEVERITY_COLOR.unknown;
  const rows = alertFacts(msg)
    .map(
      ([label, value]) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html><body style="font-family:sans-serif">
<h3 style="color:${color}">${escapeHtml(msg.summary)}</h3>
<table>
${rows}
</table>
</body></html>
`;
}

/** SMTP reply codes 4xx are transient (RFC 5321 §4.2.1); 5xx, bad auth and TLS refusals are final. */
function classify(err: unknown): AttemptResult {
  const e = err as {
    code?: string;
    command?: string;
    responseCode?: number;
    response?: string;
    message?: string;
  };
  const detail = oneLine(e.response ?? e.message ?? String(err)).slice(0, 160);
  // the command that was refused says more than the reply ("STARTTLS: 500 command not recognized")
  const command = e.command && e.command !== "CONN" ? ` ${oneLine(e.command).split(" ")[0]}` : "";
  const reason = `SMTP${command}: ${detail}`;
  if (typeof e.responseCode === "number")
    return { ok: false, retry: e.responseCode < 500, reason, cause: err };
  const final = e.code === "EAUTH" || e.code === "ETLS" || e.code === "EENVELOPE" || e.code === "EMESSAGE";
  return { ok: false, retry: !final, reason, cause: err };
}

/** E-mail through nodemailer: subject = summary, plain text + a small escaped HTML table. */
export function emailChannel(name: string, config: EmailConfig, opts: ChannelOptions): Channel {
  const smtp = parseSmtpUrl(config.smtp, `channels.${name}.smtp`);
  const from = config.from ?? `airbag@${opts.hostname ?? osHostname()}`;
  const timeout = opts.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.auth,
    // nodemailer upgrades with STARTTLS whenever the server offers it; requireTLS refuses to go on without
    requireTLS: config.requireTls === true,
    tls: {
      rejectUnauthorized: config.insecure !== true,
      // SNI carries host names only
      ...(isIP(smtp.host) ? {} : { servername: smtp.host }),
    },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const plan = retryPlan(opts, undefined);
  return {
    name,
    type: "email",
    async send(msg: AlertMessage) {
      const mail = {
        from,
        to: config.to,
        subject: oneLine(msg.summary),
        text: emailText(msg),
        html: emailHtml(msg),
        headers: { "X-Airbag-Event": msg.event, "X-Airbag-Delivery": oneLine(msg.id) },
      };
      await withRetries(name, plan, async () => {
        try {
          await transport.sendMail(mail);
          return { ok: true };
        } catch (err) {
          return classify(err);
        }
      });
    },
    async close() {
      transport.close();
    },
  };
}
