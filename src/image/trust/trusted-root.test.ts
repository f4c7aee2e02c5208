import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTrustedRoot } from "./trusted-root.js";

const MEDIA = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/** a self-signed CA made by openssl, as a TrustedRoot CertificateAuthority */
function authority() {
  const dir = mkdtempSync(join(tmpdir(), "airbag-root-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      join(dir, "k"),
    ].concat([
      "-out",
      join(dir, "c"),
      "-days",
      "1",
      "-subj",
      "/CN=test-ca",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ]),
    { stdio: "ignore" },
  );
  const der = new X509Certificate(readFileSync(join(dir, "c"))).raw;
  return {
    subject: { organization: "t", commonName: "test-ca" },
    uri: "https://t.invalid",
    certChain: { certificates: [{ rawBytes: der.toString("base64") }] },
    validFor: { start: "2020-01-01T00:00:00Z" },
  };
}

describe("loadTrustedRoot", () => {
  it("requires what the root can check: tlog and SCT only when it lists logs, a timestamp always", () => {
    const ca = authority();
    const root = {
      mediaType: MEDIA,
      tlogs: [],
      ctlogs: [],
      certificateAuthorities: [ca],
      timestampAuthorities: [],
    };
    const loaded = loadTrustedRoot(JSON.stringify(root), "root.json");
    expect(loaded.thresholds).toEqual({ tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 });
    expect(loaded.material.certificateAuthorities).toHaveLength(1);
  });

  it("refuses what is not a usable trusted root, naming the file", () => {
    expect(() => loadTrustedRoot("{", "r.json")).toThrow(/^r\.json: not JSON/);
    expect(() => loadTrustedRoot('{"mediaType":"application/json"}', "r.json")).toThrow(
      /r\.json: not a Sigstore trusted root/,
    );
    const noCa = {
      mediaType: MEDIA,
      tlogs: [],
      ctlogs: [],
      certificateAuthorities: [],
      timestampAuthorities: [],
    };
    expect(() => loadTrustedRoot(JSON.stringify(noCa), "r.json")).toThrow(
      /r\.json: no certificateAuthorities/,
    );
  });
});
