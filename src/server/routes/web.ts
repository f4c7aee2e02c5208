import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ServerContext } from "../context.js";

/**
 * The dashboard: `GET /` is src/web/index.html, `GET /ui/*` the browser modules and stylesheet beside it,
 * `GET /ui/vendor/*` preact, htm and uPlot straight from node_modules (no CDN, no build step). Every file
 * is read once at startup into memory: only names found then can be served, so a request path can never
 * reach the rest of the disk. Responses carry a strict CSP; the page's one inline script, the import
 * map, is allowed by its SHA-256.
 */

/** src/web, found from the package root so it works from src/ (tsx, vitest), dist/ and a packed package. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const WEB_DIR = join(PACKAGE_ROOT, "src", "web");

/** /ui/vendor/NAME → file inside an npm package (the import map in index.html names these). */
const VENDOR: Record<string, [pkg: string, file: string]> = {
  "preact.module.js": ["preact", "dist/preact.module.js"],
  "hooks.module.js": ["preact", "hooks/dist/hooks.module.js"],
  "htm.module.js": ["htm", "dist/htm.module.js"],
  "uPlot.esm.js": ["uplot", "dist/uPlot.esm.js"],
  "uPlot.min.css": ["uplot", "dist/uPlot.min.css"],
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const asset = (body: Buffer, file: string): Asset => ({
  body,
  type: TYPES[extname(file)] ?? "application/octet-stream",
  etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
});

/** The directory of an installed package (its `package.json` may not be exported, so walk up from its entry). */
function packageDir(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === name
    ) {
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`package ${name}: no package.json above its entry point`);
    dir = up;
  }
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* walk(path);
    else if (e.isFile() && TYPES[extname(e.name)]) yield path;
  }
}

/** Every servable file by its path under /ui/ ("app.js", "views/images.js", "vendor/uPlot.esm.js"). */
export function loadAssets(webDir = WEB_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(webDir)) {
    assets.set(relative(webDir, file).split(sep).join("/"), asset(readFileSync(file), file));
  }
  for (const [name, [pkg, file]] of Object.entries(VENDOR)) {
    const path = join(packageDir(pkg), file);
    assets.set(`vendor/${name}`, asset(readFileSync(path), path));
  }
  return assets;
}

const cspHash = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

/** The Content-Security-Policy for the page, allowing its inline import map (and nothing else inline) by hash. */
export function contentSecurityPolicy(indexHtml: string): string {
  const inline = [...indexHtml.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map((m) =>
    cspHash(m[1]!),
  );
  return [
    "default-src 'self'",
    ["script-src 'self'", ...inline].join(" "),
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}

export default async function webRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  let assets: Map<string, Asset>;
  try {
    assets = loadAssets();
  } catch (e) {
    // the API works without the dashboard (e.g. a package built without src/web): say so, do not crash
    ctx.warn(`dashboard disabled: ${(e as Error).message}`);
    return;
  }
  const index = assets.get("index.html");
  if (!index) {
    ctx.warn(`dashboard disabled: no index.html in ${WEB_DIR}`);
    return;
  }
  const csp = contentSecurityPolicy(index.body.toString("utf8"));

  const send = (reply: FastifyReply, a: Asset, ifNoneMatch: string | undefined) => {
    reply
      .header("content-security-policy", csp)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .header("cache-control", "no-cache")
      .header("etag", a.etag);
    if (ifNoneMatch === a.etag) return reply.code(304).send();
    return reply.type(a.type).send(a.body);
  };

  app.get("/", { config: { role: "public", summary: "the dashboard" } }, async (req, reply) =>
    send(reply, index, req.headers["if-none-match"]),
  );

  app.get<{ Params: { "*": string } }>("/ui/*", { config: { role: "public" } }, async (req, reply) => {
    const a = assets.get(req.params["*"]);
    if (!a) return reply.code(404).send({ error: `no dashboard file ${req.params["*"]}` });
    return send(reply, a, req.headers["if-none-match"]);
  });
}
