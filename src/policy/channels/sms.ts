import { inputError } from "../../model/index.js";
import type { AlertMessage, ChannelConfig } from "../../model/policy.js";
import type { Channel, ChannelOptions } from "./channel.js";
import { deliverHttp, httpDeliveryConfig } from "./http-delivery.js";

type SmsConfig = Extract<ChannelConfig, { type: "sms" }>;

/** One SMS segment; a longer summary is cut with an ellipsis so the gateway never splits or rejects it. */
export const SMS_SUMMARY_MAX = 160;

const FIELDS: Record<string, (m: AlertMessage) => string> = {
  summary: (m) => truncate(m.summary, SMS_SUMMARY_MAX),
  severity: (m) => m.severity,
  container: (m) => m.container.name || m.container.id.slice(0, 12),
  image: (m) => m.container.image,
  rule: (m) => m.rule,
  detector: (m) => m.detector,
  detection: (m) => m.detection,
  evidence: (m) => truncate(m.evidence, SMS_SUMMARY_MAX),
  event: (m) => m.event,
  mode: (m) => m.mode,
  count: (m) => String(m.count),
  id: (m) => m.id,
  time: (m) => m.time,
  host: (m) => m.host ?? "",
};

const PLACEHOLDER = /\{\{\s*([a-z]+)\s*\}\}/g;

export function truncate(text: string, max: number): string {
  const chars = Array.from(text); // code points: never cut a surrogate pair in half
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

type Encoding = "form" | "json" | "text";

/** How values are escaped: the Content-Type header if given, else the template's look. */
export function bodyEncoding(template: string, headers: Record<string, string> = {}): Encoding {
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "";
  if (/json/i.test(type)) return "json";
  if (/x-www-form-urlencoded/i.test(type)) return "form";
  if (type) return "text";
  if (/^\s*[{[]/.test(template)) return "json";
  if (/^[^=&\s]+=/.test(template)) return "form";
  return "text";
}

const ESCAPE: Record<Encoding, (v: string) => string> = {
  form: (v) => encodeURIComponent(v).replace(/%20/g, "+"),
  // inside a JSON string literal: JSON.stringify's escaping without the quotes
  json: (v) => JSON.stringify(v).slice(1, -1),
  text: (v) => v,
};

/**
 * The literal text of a form template is written as people read it ("to=+3610000000"): a bare "+" would
 * reach the gateway as a space, so literal characters outside `=`, `&`, unreserved ones and existing
 * %XX escapes are percent-encoded too.
 */
function encodeFormLiteral(text: string): string {
  return text.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-_.~=&%]/g, (c) =>
    c === " " ? "+" : encodeURIComponent(c),
  );
}

export function renderTemplate(template: string, msg: AlertMessage, encoding: Encoding): string {
  let out = "";
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const literal = template.slice(last, m.index);
    out += encoding === "form" ? encodeFormLiteral(literal) : literal;
    out += ESCAPE[encoding](FIELDS[m[1]!]?.(msg) ?? "");
    last = m.index + m[0].length;
  }
  const tail = template.slice(last);
  return out + (encoding === "form" ? encodeFormLiteral(tail) : tail);
}

/** Unknown placeholders are typos: say so when the policy is loaded, not when the pager stays silent. */
function checkPlaceholders(text: string, where: string): void {
  for (const [, field] of text.matchAll(PLACEHOLDER))
    if (!FIELDS[field!])
      throw inputError(`${where}: unknown placeholder {{${field}}} (use ${Object.keys(FIELDS).join(", ")})`);
}

/**
 * SMS through an HTTP gateway: `body` is a template; a POST sends it (form-encoded, JSON or text),
 * a GET appends it to the URL's query. Placeholders in the URL are filled in URL-encoded.
 */
export function smsChannel(name: string, config: SmsConfig, opts: ChannelOptions): Channel {
  const template = config.body ?? "text={{summary}}";
  checkPlaceholders(template, `channels.${name}.body`);
  checkPlaceholders(config.url, `channels.${name}.url`);
  const method = config.method ?? "POST";
  const encoding: Encoding = method === "GET" ? "form" : bodyEncoding(template, config.headers);
  const delivery = httpDeliveryConfig(opts, undefined, undefined);
  return {
    name,
    type: "sms",
    async send(msg: AlertMessage) {
      let url = config.url.replace(PLACEHOLDER, (_all, f: string) =>
        encodeURIComponent(FIELDS[f]?.(msg) ?? ""),
      );
      const body = renderTemplate(template, msg, encoding);
      const headers: Record<string, string> = {};
      if (method === "GET") {
        if (body) url += `${url.includes("?") ? "&" : "?"}${body}`;
      } else {
        headers["content-type"] = {
          form: "application/x-www-form-urlencoded",
          json: "application/json",
          text: "text/plain; charset=utf-8",
        }[encoding];
      }
      Object.assign(headers, config.headers);
      await deliverHttp(name, { url, method, headers, ...(method === "POST" ? { body } : {}) }, delivery);
    },
  };
}
