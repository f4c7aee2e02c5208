import { isMap, isScalar, parseDocument } from "yaml";

/**
 * The fleet policy as a non-admin may see it: channel credentials replaced by "<redacted>" — webhook
 * `secret`, every `headers` value, the password and query of any URL (`smtp://user:pass@…`, an SMS
 * gateway's `?apikey=`), and the path of chat webhook URLs (a Slack/Teams/Mattermost incoming-webhook
 * path IS the credential). Viewers read the policy to understand alerts, not to send as the server.
 */

export const REDACTED = "<redacted>";
const CHAT = new Set(["slack", "teams", "mattermost"]);

function redactUrl(value: string, wholePath: boolean): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return REDACTED;
  }
  if (u.password) u.password = "REDACTED";
  for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, "REDACTED");
  if (wholePath && u.pathname !== "/") u.pathname = "/REDACTED";
  return u.toString().replaceAll("REDACTED", REDACTED);
}

export function redactPolicyYaml(yaml: string): string {
  const doc = parseDocument(yaml);
  const channels = doc.get("channels");
  if (!isMap(channels)) return yaml;
  const before = doc.toString();
  for (const pair of channels.items) {
    const ch = pair.value;
    if (!isMap(ch)) continue;
    const type = String(ch.get("type") ?? "");
    if (ch.has("secret")) ch.set("secret", REDACTED);
    const headers = ch.get("headers");
    if (isMap(headers)) for (const h of headers.items) if (isScalar(h.value)) h.value.value = REDACTED;
    for (const key of ["url", "smtp"]) {
      const v = ch.get(key);
      if (typeof v === "string") ch.set(key, redactUrl(v, key === "url" && CHAT.has(type)));
    }
  }
  const after = doc.toString();
  // nothing to hide: the text exactly as the admin wrote it
  return after === before ? yaml : after;
}
