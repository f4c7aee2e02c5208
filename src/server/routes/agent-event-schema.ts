import { SEVERITIES } from "../../model/index.js";

/**
 * JSON Schema of one agent event (model/fleet.ts AgentEvent) for POST /api/v1/agents/report. The store
 * and the fleet policy read each type's payload (`e.alert.id`, `e.approval.requestedAt`, the detection's
 * container…): without this a payload of the wrong shape reached them and answered 500 (found by
 * test/fuzz, regression in test/fuzz/regressions/agent-report/). Extra fields pass; what is read is typed.
 */

export const EVENT_TYPES = [
  "inventory",
  "detection",
  "alert",
  "action",
  "approval-request",
  "approval-settled",
] as const;

const text = { type: "string", maxLength: 4096 } as const;
const id = { type: "string", minLength: 1, maxLength: 256 } as const;

const containerRef = {
  type: "object",
  required: ["id", "name", "image"],
  properties: { id, name: text, image: text, imageId: text, labels: { type: "object" } },
} as const;

const detection = {
  type: "object",
  required: ["detector", "id", "kind", "severity", "title", "container", "evidence", "at"],
  properties: {
    detector: id,
    id,
    kind: text,
    severity: { type: "string", enum: SEVERITIES },
    title: text,
    container: containerRef,
    evidence: text,
    details: { type: "object" },
    at: text,
    host: text,
  },
} as const;

const outcome = {
  type: "object",
  required: ["type", "status"],
  properties: { type: text, status: text, detail: text },
} as const;

/** the payload each event type carries, keyed by type */
const payloads = {
  inventory: {
    required: ["containers"],
    properties: {
      containers: {
        type: "array",
        maxItems: 10_000,
        items: {
          ...containerRef,
          required: [...containerRef.required, "state"],
          properties: {
            ...containerRef.properties,
            state: text,
            imageDigest: text,
            startedAt: text,
            privileged: { type: "boolean" },
          },
        },
      },
    },
  },
  detection: { required: ["detection"], properties: { detection } },
  alert: {
    required: ["alert"],
    properties: {
      alert: {
        type: "object",
        required: ["id", "severity", "container", "actions", "summary"],
        properties: {
          id,
          severity: { type: "string", enum: SEVERITIES },
          container: containerRef,
          actions: { type: "array", items: outcome },
          summary: text,
        },
      },
    },
  },
  action: { required: ["container", "outcome"], properties: { container: id, outcome } },
  "approval-request": {
    required: ["approval"],
    properties: {
      approval: {
        type: "object",
        required: ["id", "rule", "detection", "actions", "requestedAt", "expiresAt", "onTimeout"],
        properties: {
          id,
          rule: text,
          detection,
          actions: {
            type: "array",
            items: {
              type: "object",
              required: ["type"],
              properties: { type: text, params: { type: "object" } },
            },
          },
          requestedAt: text,
          expiresAt: text,
          onTimeout: { type: "string", enum: ["approve", "deny"] },
        },
      },
    },
  },
  "approval-settled": {
    required: ["id", "state"],
    properties: { id, state: { type: "string", enum: ["approved", "denied", "expired"] }, by: text },
  },
} as const;

export const agentEventSchema = {
  type: "object",
  required: ["seq", "at", "type"],
  properties: {
    seq: { type: "integer", minimum: 1 },
    at: { type: "string", maxLength: 64 },
    type: { type: "string", enum: EVENT_TYPES },
  },
  allOf: EVENT_TYPES.map((t) => ({
    if: { properties: { type: { const: t } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
    then: payloads[t],
  })),
} as const;
