import { inputError } from "../../model/index.js";
import type { ChannelConfig } from "../../model/policy.js";
import type { Channel, ChannelOptions } from "./channel.js";
import { chatChannel } from "./chat.js";
import { emailChannel } from "./email.js";
import { smsChannel } from "./sms.js";
import { stdoutChannel } from "./stdout.js";
import { syslogChannel } from "./syslog.js";
import { webhookChannel } from "./webhook.js";

export type { Channel, ChannelOptions } from "./channel.js";

/**
 * The channel a policy's `channels.NAME` describes. Bad settings the schema cannot see (an SMTP URL
 * that does not parse, an unknown SMS placeholder) are INPUT errors naming `channels.NAME.field`.
 */
export function createChannel(name: string, config: ChannelConfig, opts: ChannelOptions = {}): Channel {
  switch (config.type) {
    case "webhook":
      return webhookChannel(name, config, opts);
    case "slack":
    case "teams":
    case "mattermost":
      return chatChannel(name, config, opts);
    case "email":
      return emailChannel(name, config, opts);
    case "sms":
      return smsChannel(name, config, opts);
    case "syslog":
      return syslogChannel(name, config, opts);
    case "stdout":
      return stdoutChannel(name, opts.stdout);
    default:
      throw inputError(`channels.${name}.type: unknown channel type "${(config as { type: string }).type}"`);
  }
}

/** Every channel of a policy, by name. */
export function createChannels(
  configs: Record<string, ChannelConfig>,
  opts: ChannelOptions = {},
): Map<string, Channel> {
  const out = new Map<string, Channel>();
  for (const [name, config] of Object.entries(configs)) out.set(name, createChannel(name, config, opts));
  return out;
}

export async function closeChannels(channels: Iterable<Channel>): Promise<void> {
  for (const c of channels) await c.close?.();
}
