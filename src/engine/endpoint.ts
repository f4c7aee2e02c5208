import { existsSync } from "node:fs";
import { join } from "node:path";
import { AirbagError } from "../model/index.js";

/**
 * Where the container engine's API listens (BRIEF.md "Engine"): `--engine`, else `$DOCKER_HOST`, else
 * /var/run/docker.sock, else podman's sockets ($XDG_RUNTIME_DIR/podman/podman.sock for rootless,
 * /run/podman/podman.sock for root). Unix sockets and plain tcp:// are spoken; ssh:// and npipe are not.
 */

export type EngineEndpoint =
  | { kind: "unix"; socketPath: string; url: string }
  | { kind: "tcp"; host: string; port: number; url: string };

export interface EndpointLookup {
  /** the --engine flag */
  engine?: string;
  env?: NodeJS.ProcessEnv;
  /** injectable for tests; default fs.existsSync */
  exists?: (path: string) => boolean;
}

/** `unix:///run/x.sock`, `/run/x.sock`, `tcp://127.0.0.1:2375`, `http://127.0.0.1:2375`. */
export function parseEngineUrl(value: string, from: string): EngineEndpoint {
  const v = value.trim();
  if (v.startsWith("/")) return { kind: "unix", socketPath: v, url: `unix://${v}` };
  const m = /^([a-z0-9+]+):\/\/(.*)$/i.exec(v);
  if (!m) throw new AirbagError("USAGE", `${from} "${value}": expected unix:///path.sock or tcp://host:port`);
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (scheme === "unix") {
    if (!rest.startsWith("/"))
      throw new AirbagError("USAGE", `${from} "${value}": unix socket path must be absolute`);
    return { kind: "unix", socketPath: rest, url: `unix://${rest}` };
  }
  if (scheme === "tcp" || scheme === "http") {
    const hp = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(rest);
    if (!hp) throw new AirbagError("USAGE", `${from} "${value}": expected tcp://host:port`);
    const host = hp[1]!.replace(/^\[|\]$/g, "");
    const port = hp[2] ? Number(hp[2]) : 2375;
    return { kind: "tcp", host, port, url: `tcp://${hp[1]}:${port}` };
  }
  throw new AirbagError(
    "UNSUPPORTED",
    `${from} "${value}": ${scheme}:// engines are not supported; use a unix socket or tcp://host:port`,
  );
}

/** Candidate sockets in the order the contract gives, for auto-detection and for the error message. */
export function defaultSockets(env: NodeJS.ProcessEnv): string[] {
  const out = ["/var/run/docker.sock"];
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, "podman", "podman.sock"));
  out.push("/run/podman/podman.sock");
  return out;
}

export function resolveEngineEndpoint(lookup: EndpointLookup = {}): EngineEndpoint {
  const env = lookup.env ?? process.env;
  if (lookup.engine) return parseEngineUrl(lookup.engine, "--engine");
  if (env.DOCKER_HOST) return parseEngineUrl(env.DOCKER_HOST, "$DOCKER_HOST");
  const exists = lookup.exists ?? existsSync;
  const tried = defaultSockets(env);
  const found = tried.find((p) => exists(p));
  if (found) return { kind: "unix", socketPath: found, url: `unix://${found}` };
  throw new AirbagError(
    "NETWORK",
    `no container engine found (tried ${tried.join(", ")}); start docker or "podman system service", or pass --engine unix:///PATH.sock`,
  );
}
