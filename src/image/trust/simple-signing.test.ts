import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COSIGN_SIGNATURE_TYPE, parseSimpleSigningPayload, simpleSigningPayload } from "./simple-signing.js";

const D = `sha256:${"ab".repeat(32)}`;

describe("simple-signing payload", () => {
  it("reads what cosign and containers/image write", () => {
    const cosign = simpleSigningPayload(D, "index.docker.io/ns/image");
    expect(parseSimpleSigningPayload(cosign)).toEqual({
      ok: true,
      payload: { type: COSIGN_SIGNATURE_TYPE, digest: D, dockerReference: "index.docker.io/ns/image" },
    });
    const skopeo = simpleSigningPayload(D, "127.0.0.1:5000/app:1", {
      creator: "containers/image 5.23.1",
      timestamp: 1700000000,
    });
    const p = parseSimpleSigningPayload(skopeo);
    expect(p.ok && p.payload).toMatchObject({ creator: "containers/image 5.23.1", timestamp: 1700000000 });
  });

  it("matches keys case-insensitively like Go (the spec example writes Docker-manifest-digest)", () => {
    const doc = { Critical: { Image: { "Docker-manifest-digest": D }, Type: COSIGN_SIGNATURE_TYPE } };
    const p = parseSimpleSigningPayload(Buffer.from(JSON.stringify(doc)));
    expect(p.ok && p.payload.digest).toBe(D);
  });

  it("explains what is missing", () => {
    const parse = (v: unknown) => parseSimpleSigningPayload(Buffer.from(JSON.stringify(v)));
    expect(parseSimpleSigningPayload(Buffer.from("{"))).toEqual({ ok: false, reason: "payload is not JSON" });
    expect(parse([1])).toMatchObject({ ok: false, reason: "payload is not a JSON object" });
    expect(parse({ optional: {} })).toMatchObject({ ok: false, reason: /no critical section/ });
    expect(parse({ critical: { image: { "docker-manifest-digest": D } } })).toMatchObject({
      reason: /no critical\.type/,
    });
    expect(
      parse({ critical: { type: COSIGN_SIGNATURE_TYPE, image: { "docker-manifest-digest": "sha256:x" } } }),
    ).toMatchObject({
      reason: /docker-manifest-digest/,
    });
  });

  it("never throws on arbitrary bytes or JSON", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array(),
          fc.json().map((s) => Buffer.from(s)),
        ),
        (b) => {
          const r = parseSimpleSigningPayload(Buffer.from(b));
          expect(typeof r.ok).toBe("boolean");
        },
      ),
    );
  });
});
