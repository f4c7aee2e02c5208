import { createSocket } from "node:dgram";
import { connect as netConnect, type Socket } from "node:net";
import { hostname as osHostname } from "node:os";
import { connect as tlsConnect } from "node:tls";
import { inputError } from "../../model/index.js";
import type { AlertMessage, ChannelConfig } from "../../model/policy.js";
import type { Channel, ChannelOptions } from "./channel.js";
import { retryPlan, withRetries } from "./retry.js";
import { FACILITIES, formatSyslog } from "./syslog-format.js";
import { sendUnixSyslog } from "./syslog-unix.js";

type SyslogConfig = Extract<ChannelConfig, { type: "syslog" }>;

export type SyslogAddress =
  | { transport: "udp" | "tcp" | "tls"; host: string; port: number }
  | { transport: "unix"; path: string };

const DEFAULT_PORT = { udp: 514, tcp: 514, tls: 6514 };

export function parseSyslogAddress(address: string, where: string): SyslogAddress {
  const m = /^(udp|tcp|tls|unix):\/\/(.+)$/.exec(address);
  if (!m)
    throw inputError(
      `${where}: "${address}" must be udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT or unix:///PATH`,
    );
  const transport = m[1] as SyslogAddress["transport"];
  if (transport === "unix") {
    if (!m[2]!.startsWith("/"))
      throw inputError(`${where}: unix:// needs an absolute socket path (unix:///dev/log)`);
    return { transport, path: m[2]! };
  }
  let u: URL;
  try {
    u = new URL(`${transport}://${m[2]}`);
  } catch {
    throw inputError(`${where}: "${address}" is not HOST:PORT`);
  }
  const port = u.port ? Number(u.port) : DEFAULT_PORT[transport];
  return { transport, host: u.hostname.replace(/^\[|\]$/g, ""), port };
}

/**
 * RFC 5424 syslog: UDP (RFC 5426, one message per datagram), TCP and TLS with octet-counting framing
 * (RFC 6587 §3.4.1 / RFC 5425), or the local unix socket. One connection per alert: alerts are rare,
 * and a long-lived connection would need its own reconnect logic for nothing.
 */
export function syslogChannel(name: string, config: SyslogConfig, opts: ChannelOptions): Channel {
  const address = parseSyslogAddress(config.address, `channels.${name}.address`);
  const facility = FACILITIES[config.facility ?? "local0"];
  if (facility === undefined)
    throw inputError(`channels.${name}.facility: unknown facility "${config.facility}"`);
  const fields = {
    facility,
    hostname: opts.hostname ?? osHostname(),
    appName: config.appName ?? "airbag",
    procId: String(process.pid),
  };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const plan = retryPlan(opts, undefined);
  return {
    name,
    type: "syslog",
    async send(msg: AlertMessage) {
      const line = formatSyslog(msg, fields);
      await withRetries(name, plan, async () => {
        try {
          await transmit(address, line, timeoutMs, opts.ca);
          return { ok: true };
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          return {
            ok: false,
            retry: true,
            reason: `syslog ${config.address}: ${e.code ?? e.message}`,
            cause: err,
          };
        }
      });
    },
  };
}

function transmit(
  address: SyslogAddress,
  line: string,
  timeoutMs: number,
  ca?: string | Buffer,
): Promise<void> {
  switch (address.transport) {
    case "unix":
      return sendUnixSyslog(address.path, line, timeoutMs);
    case "udp":
      return sendUdp(address.host, address.port, line);
    case "tcp":
    case "tls": {
      const framed = `${Buffer.byteLength(line, "utf8")} ${line}`;
      const socket =
        address.transport === "tcp"
          ? netConnect({ host: address.host, port: address.port })
          : tlsConnect({ host: address.host, port: address.port, ...(ca ? { ca } : {}) });
      return writeAndClose(
        socket,
        framed,
        timeoutMs,
        address.transport === "tls" ? "secureConnect" : "connect",
      );
    }
  }
}

function sendUdp(host: string, port: number, line: string): Promise<void> {
  const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
  return new Promise((resolve, reject) => {
    socket.once("error", (err) => {
      socket.close();
      reject(err);
    });
    socket.send(Buffer.from(line, "utf8"), port, host, (err) => {
      socket.close();
      if (err) reject(err);
      else resolve();
    });
  });
}

function writeAndClose(socket: Socket, data: string, timeoutMs: number, ready: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })),
    );
    socket.once("error", reject);
    socket.once(ready, () => socket.end(data));
    socket.once("close", (hadError) => {
      if (!hadError) resolve();
    });
  });
}
