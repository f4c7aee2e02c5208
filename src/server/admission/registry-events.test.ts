import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { parseRegistryEnvelope } from "../routes/registry-events.js";

// envelopes as the Debian docker-registry (distribution 2.8.2) sent them for `skopeo copy` of one image
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/admission/${name}.json`, import.meta.url), "utf8"));
const MANIFEST = "sha256:785abe52e1391f4f7614c4c4db7a3de88a5db1c917afeddb448e45cf1dadde42";

describe("parseRegistryEnvelope", () => {
  it("turns a manifest push into a registry: target pinned by digest", () => {
    expect(parseRegistryEnvelope(fixture("registry-push-manifest"))).toEqual({
      pushes: [{ target: `registry:127.0.0.1:45812/team/app:1@${MANIFEST}`, tag: "1" }],
      skipped: [],
    });
  });

  it("skips layer pushes, pulls and deletes, saying why", () => {
    const blob = fixture("registry-push-blob");
    const manifest = fixture("registry-push-manifest").events[0];
    const r = parseRegistryEnvelope({
      events: [...blob.events, { ...manifest, action: "pull" }, { ...manifest, action: "delete" }],
    });
    expect(r.pushes).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual([
      'target.mediaType "application/octet-stream" is not an image manifest',
      'action "pull" is not push',
      'action "delete" is not push',
    ]);
  });

  it("falls back to request.host, and queues one job per tag and digest however often it is pushed", () => {
    const e = fixture("registry-push-manifest").events[0];
    const noUrl = {
      ...e,
      target: { ...e.target, url: undefined },
      request: { ...e.request, host: "localhost:5000" },
    };
    const r = parseRegistryEnvelope({
      events: [noUrl, noUrl, { ...noUrl, target: { ...noUrl.target, tag: "2" } }],
    });
    expect(r.pushes).toEqual([
      { target: `registry:localhost:5000/team/app:1@${MANIFEST}`, tag: "1" },
      { target: `registry:localhost:5000/team/app:2@${MANIFEST}`, tag: "2" },
    ]);
  });

  it("refuses hosts and names that are not a registry reference, so nothing rides into the target", () => {
    const e = fixture("registry-push-manifest").events[0];
    const bad = [
      { ...e, target: { ...e.target, url: "http://evil host/v2/x" }, request: { host: "a b" } },
      { ...e, target: { ...e.target, repository: "Team/App" } },
      { ...e, target: { ...e.target, repository: "team/app --insecure" } },
      { ...e, target: { ...e.target, digest: "sha256:abc" } },
      { ...e, target: { ...e.target, tag: "1 --insecure" } },
      { ...e, target: { ...e.target, url: undefined }, request: {} },
    ];
    const r = parseRegistryEnvelope({ events: bad });
    expect(r.pushes).toEqual([]);
    expect(r.skipped).toHaveLength(6);
    expect(r.skipped[3]!.reason).toBe("target.digest is not sha256:<64 hex>");
    expect(r.skipped[4]!.reason).toMatch(/invalid tag/);
    expect(r.skipped[5]!.reason).toBe("neither target.url nor request.host names the registry");
  });

  it("refuses a body that is not an envelope with a one-line input error", () => {
    expect(() => parseRegistryEnvelope({ event: [] })).toThrow(AirbagError);
    expect(() => parseRegistryEnvelope([])).toThrow(/registry notification: body is not an envelope/);
    expect(() => parseRegistryEnvelope({ events: Array.from({ length: 1001 }, () => ({})) })).toThrow(
      /more than 1000 events/,
    );
  });
});
