import { createHmac } from "node:crypto";
import type { AlertMessage, ChannelConfig } from "../../model/policy.js";
import { parseDuration } from "../duration.js";
import type { Channel, ChannelOptions } from "./channel.js";
import { oneLine } from "./channel.js";
import { deliverHttp, httpDeliveryConfig } from "./http-delivery.js";

type WebhookConfig = Extract<ChannelConfig, { type: "webhook" }>;

/** `sha256=<hex>` over the exact bytes sent, so receivers verify before parsing (GitHub's scheme). */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/** Generic webhook: the AlertMessage as JSON, signed when the channel has a secret. */
export function webhookChannel(name: string, config: WebhookConfig, opts: ChannelOptions): Channel {
  const timeoutMs = config.timeout === undefined ? undefined : parseDuration(config.timeout);
  const delivery = httpDeliveryConfig(opts, config.retries, timeoutMs);
  return {
    name,
    type: "webhook",
    async send(msg: AlertMessage) {
      const body = JSON.stringify(msg);
      const headers: Record<string, string> = {
        ...config.headers,
        "content-type": "application/json",
        "x-airbag-event": msg.event,
        "x-airbag-delivery": oneLine(msg.id),
      };
      if (config.secret) headers["x-airbag-signature"] = webhookSignature(config.secret, body);
      await deliverHttp(name, { url: config.url, method: "POST", headers, body }, delivery);
    },
  };
}
