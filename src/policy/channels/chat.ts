import type { AlertMessage, ChannelConfig } from "../../model/policy.js";
import { alertFacts, SEVERITY_COLOR } from "./alert-text.js";
import type { Channel, ChannelOptions } from "./channel.js";
import { deliverHttp, httpDeliveryConfig } from "./http-delivery.js";

type ChatConfig = Extract<ChannelConfig, { type: "slack" | "teams" | "mattermost" }>;

/**
 * Incoming-webhook payloads for Slack, Microsoft Teams and Mattermost. Container names and evidence
 * come from whoever started the container: they are escaped for each product's markup so they can
 * neither format nor link nor mention (@channel) anyone.
 */

/** Slack: only & < > are control characters (links, mentions); a code span stops *bold* _italic_. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function slackCode(text: string): string {
  // a backtick would close the span; U+02CB looks the same and is inert
  return `\`${slackEscape(text).replace(/`/g, "\u02cb")}\``;
}

export function slackPayload(msg: AlertMessage): unknown {
  const facts = alertFacts(msg);
  return {
    text: slackEscape(msg.summary),
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: `*${slackEscape(msg.summary).replace(/\*/g, "∗")}*` },
      },
      {
        type: "section",
        // Slack allows at most 10 fields of 2000 characters
        fields: facts.slice(0, 10).map(([label, value]) => ({
          type: "mrkdwn",
          text: `*${label}*\n${slackCode(value.slice(0, 1900))}`,
        })),
      },
    ],
  };
}

/** CommonMark backslash escapes, and a zero-width joiner after @ so @channel / @all notify nobody. */
export function markdownEscape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|~<>&]/g, "\\$&").replace(/@/g, "@\u200d");
}

export function mattermostPayload(msg: AlertMessage): unknown {
  return {
    text: `#### ${markdownEscape(msg.summary)}`,
    attachments: [
      {
        fallback: msg.summary,
        color: SEVERITY_COLOR[msg.severity] ?? SEVERITY_COLOR.unknown,
        fields: alertFacts(msg).map(([title, value]) => ({
          short: title !== "Evidence" && title !== "Actions",
          title,
          value: markdownEscape(value),
        })),
      },
    ],
  };
}

/**
 * Teams: an Adaptive Card in a Workflows / incoming-webhook message. Every alert value goes into a
 * RichTextBlock TextRun, which Teams never parses as markdown — no escaping needed, none possible.
 */
export function teamsPayload(msg: AlertMessage): unknown {
  const loud = msg.severity === "critical" || msg.severity === "high";
  const body = [
    {
      type: "RichTextBlock",
      inlines: [
        {
          type: "TextRun",
          text: msg.summary,
          weight: "Bolder",
          size: "Medium",
          color: loud ? "Attention" : "Default",
        },
      ],
    },
    ...alertFacts(msg).map(([label, value]) => ({
      type: "RichTextBlock",
      spacing: "Small",
      inlines: [
        { type: "TextRun", text: `${label}: `, weight: "Bolder" },
        { type: "TextRun", text: value },
      ],
    })),
  ];
  return {
    type: "message",
    summary: msg.summary,
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
        },
      },
    ],
  };
}

const PAYLOADS = { slack: slackPayload, teams: teamsPayload, mattermost: mattermostPayload };

export function chatChannel(name: string, config: ChatConfig, opts: ChannelOptions): Channel {
  const delivery = httpDeliveryConfig(opts, config.retries, undefined);
  const payload = PAYLOADS[config.type];
  return {
    name,
    type: config.type,
    async send(msg: AlertMessage) {
      const body = JSON.stringify(payload(msg));
      const headers = { "content-type": "application/json" };
      await deliverHttp(name, { url: config.url, method: "POST", headers, body }, delivery);
    },
  };
}
