import type { Writable } from "node:stream";
import type { AlertMessage } from "../../model/policy.js";
import type { Channel } from "./channel.js";
import { deliveryError } from "./channel.js";

/** One JSON line per alert, for SIEM agents that tail the monitor's output. */
export function stdoutChannel(name: string, out: Writable = process.stdout): Channel {
  return {
    name,
    type: "stdout",
    send(msg: AlertMessage) {
      // JSON.stringify never emits a raw newline, so one alert is exactly one line
      const line = `${JSON.stringify(msg)}\n`;
      return new Promise<void>((resolve, reject) => {
        out.write(line, (err) =>
          err ? reject(deliveryError(name, `cannot write: ${err.message}`, err)) : resolve(),
        );
      });
    },
  };
}
