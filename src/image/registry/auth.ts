import { AirbagError } from "../../model/index.js";
import type { Credentials } from "./credentials.js";
import { type HttpClient, readLimited } from "./http.js";
import { isLoopbackRegistry } from "./reference.js";

/**
 * Registry authentication: `WWW-Authenticate` challenges (RFC 9110 §11.6.1) and docker's token flow
 * (distribution "token authentication specification"): GET realm?service=…&scope=…, with Basic
 * credentials when we have them, answers `{token}` or `{access_token}` to send as a Bearer token.
 */

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Bearer realm="…",service="…",scope="…"` (several challenges may share one header). */
export function parseChallenges(header: string | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  // token68 values and quoted strings with escapes; commas separate params and challenges alike
  const re = /\s*([A-Za-z][\w!#$%&'*+.^`|~-]*)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?\s*,?/y;
  let current: Challenge | undefined;
  re.lastIndex = 0;
  for (let m = re.exec(header); m && m[0] !== ""; m = re.exec(header)) {
    const [, name, value] = m;
    if (value === undefined) {
      // a bare word starts a new challenge: `Bearer`, `Basic`
      current = { scheme: name!.toLowerCase(), params: {} };
      out.push(current);
      continue;
    }
    const v = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
    if (current) current.params[name!.toLowerCase()] = v;
  }
  return out;
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

const MAX_TOKEN_RESPONSE = 1 << 20;

/** Fetch a bearer token for `scopes` from the challenge's realm. */
export async function fetchToken(
  http: HttpClient,
  challenge: Challenge,
  scopes: string[],
  creds: Credentials | undefined,
  registry: string,
  insecure: boolean,
): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new AirbagError("INPUT", `registry ${registry}: Bearer challenge without a realm`);
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new AirbagError("INPUT", `registry ${registry}: token realm "${realm}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new AirbagError("INPUT", `registry ${registry}: token realm "${realm}" is not http(s)`);
  // never send a password in clear text to a remote token server
  const plain = url.protocol === "http:" && !insecure && !isLoopbackRegistry(url.host);
  if (plain && creds)
    throw new AirbagError(
      "INPUT",
      `registry ${registry}: token realm ${realm} is plain HTTP; refusing to send credentials (use --insecure)`,
    );
  if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
  for (const s of scopes) url.searchParams.append("scope", s);
  const headers: Record<string, string> = { accept: "application/json" };
  if (creds) headers.authorization = basicHeader(creds);
  const res = await http.get(url.toString(), headers);
  const body = await readLimited(res.body, MAX_TOKEN_RESPONSE, `token server ${url.host}`);
  if (res.status === 401 || res.status === 403)
    throw new AirbagError(
      "INPUT",
      creds
        ? `registry ${registry}: the token server refused the credentials of "${creds.username}" (HTTP ${res.status}); check docker login / ~/.docker/config.json`
        : `registry ${registry}: authentication required (HTTP ${res.status} from the token server); log in with docker login or add credentials to ~/.docker/config.json`,
    );
  if (res.status !== 200)
    throw new AirbagError(
      "NETWORK",
      `registry ${registry}: token server ${url.host} answered HTTP ${res.status}`,
    );
  let doc: { token?: string; access_token?: string };
  try {
    doc = JSON.parse(body.toString("utf8"));
  } catch {
    throw new AirbagError("INPUT", `registry ${registry}: token server ${url.host} answered invalid JSON`);
  }
  const token = doc.token ?? doc.access_token;
  if (!token) throw new AirbagError("INPUT", `registry ${registry}: token server ${url.host} sent no token`);
  return token;
}
