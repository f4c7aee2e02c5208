// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile ${VAR} syntax in test data, not templates
import { describe, expect, it } from "vitest";
import { findings, hits, wrap } from "./lint-hits.testutil.js";

const DIGEST = `@sha256:${"a".repeat(64)}`;

describe("a clean Dockerfile", () => {
  it("has no findings", () => {
    expect(hits(wrap("COPY app /app", "RUN echo built"))).toEqual([]);
  });
});

describe("DL3002 last USER root", () => {
  it("flags an explicit root user in the final stage (medium)", () => {
    const f = findings([`FROM debian:12${DIGEST}`, "USER app", "USER 0:0"], "DL3002");
    expect(f.map((x) => [x.location.line, x.severity])).toEqual([[3, "medium"]]);
  });
  it("flags a final stage without USER (low), at its FROM", () => {
    const f = findings([`FROM a:1${DIGEST} AS build`, "USER app", `FROM b:2${DIGEST}`, "RUN x"], "DL3002");
    expect(f.map((x) => [x.location.line, x.severity])).toEqual([[3, "low"]]);
  });
  it("accepts a non-root last USER, also one inherited from the parent stage", () => {
    expect(hits([`FROM a:1${DIGEST}`, "USER root", "RUN x", "USER 1000:1000"], "DL3002")).toEqual([]);
    expect(hits([`FROM a:1${DIGEST} AS base`, "USER app", "FROM base", "RUN x"], "DL3002")).toEqual([]);
  });
});

describe("DL3006 / DL3007 / AB1001 base image tags", () => {
  it("flags untagged and latest images, after ARG expansion", () => {
    const lines = ["ARG IMG=nginx", "FROM ${IMG}", "FROM nginx:latest", "FROM nginx:1.27", "USER app"];
    expect(hits(lines, "DL3006")).toEqual([[2, "DL3006"]]);
    expect(hits(lines, "DL3007")).toEqual([[3, "DL3007"]]);
    expect(hits(lines, "AB1001").map(([l]) => l)).toEqual([2, 3, 4]);
    expect(findings(lines, "DL3006")[0]?.message).toBe(
      "FROM ${IMG} (= nginx) has no tag, so it means :latest",
    );
  });
  it("accepts digests, stage references, scratch and build-arg images", () => {
    const lines = [
      "ARG BASE",
      `FROM nginx:latest${DIGEST} AS web`,
      "FROM web",
      "FROM scratch",
      "FROM ${BASE}",
      "USER app",
    ];
    expect(hits(lines).filter(([, id]) => id !== "DL3002")).toEqual([]);
  });
});

describe("DL3020 / AB1002 ADD", () => {
  it("flags ADD of local files and ADD of unverified URLs", () => {
    expect(hits(wrap("ADD app.py /app/"), "DL3020")).toEqual([[2, "DL3020"]]);
    expect(hits(wrap('ADD ["conf", "/etc/conf"]'), "DL3020")).toEqual([[2, "DL3020"]]);
    expect(hits(wrap("ADD https://example.com/tool.tgz /opt/"), "AB1002")).toEqual([[2, "AB1002"]]);
    expect(hits(wrap("ADD https://github.com/o/r.git#main /src"), "AB1002")).toEqual([[2, "AB1002"]]);
  });
  it("accepts archives, checksummed URLs and commit-pinned git sources", () => {
    const lines = wrap(
      "ADD rootfs.tar.xz /",
      "ADD --checksum=sha256:0123 https://example.com/tool.tgz /opt/",
      `ADD https://github.com/o/r.git#${"c".repeat(40)} /src`,
      "COPY app.py /app/",
    );
    expect(hits(lines)).toEqual([]);
  });
});

describe("AB1005 EXPOSE 22", () => {
  it("flags port 22, also inside a range", () => {
    expect(hits(wrap("EXPOSE 80 22/tcp"), "AB1005")).toEqual([[2, "AB1005"]]);
    expect(hits(wrap("EXPOSE 20-25"), "AB1005")).toEqual([[2, "AB1005"]]);
  });
  it("accepts other ports", () => {
    expect(hits(wrap("EXPOSE 80 443/tcp 2222 8022"), "AB1005")).toEqual([]);
  });
});

describe("DL3064 secrets in ARG/ENV", () => {
  it("flags credential names with literal values (high), never printing the value", () => {
    const f = findings(wrap("ENV DB_PASSWORD=hunter2 APP_ENV=prod", "ARG apiKey=abc123"), "DL3064");
    expect(f.map((x) => [x.location.line, x.severity])).toEqual([
      [2, "high"],
      [3, "high"],
    ]);
    expect(JSON.stringify(f)).not.toContain("hunter2");
    expect(f[0]?.message).toContain("value of 7 characters, not shown");
  });
  it("flags credential-shaped values under any name, and credential ARGs without a value (medium)", () => {
    const f = findings(
      wrap(`ENV CONFIG=AKIA${"A".repeat(16)}`, "ARG NPM_TOKEN", "ENV NPM_TOKEN=${NPM_TOKEN}"),
      "DL3064",
    );
    expect(f.map((x) => [x.location.line, x.severity])).toEqual([
      [2, "high"],
      [3, "medium"],
      [4, "medium"],
    ]);
    expect(f[0]?.message).toContain("AWS access key id");
  });
  it("accepts look-alike names and non-values", () => {
    const lines = wrap(
      "ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D KEYCLOAK_VERSION=24 PASSWORD_FILE=/run/secrets/db",
      "ENV TOKEN_URL=https://auth.example/token AWS_ACCESS_KEY_ID_NAME=x MONKEY=banana",
      "ENV POSTGRES_PASSWORD= SECRET_KEY_BASE_ENABLED=true",
      "ARG PASSWORD_LENGTH=16",
    );
    expect(hits(lines, "DL3064")).toEqual([]);
  });
});

describe("DL1000 parse errors", () => {
  it("reports what the parser rejected, with the line", () => {
    expect(hits([`FROM a:1${DIGEST}`, "RUN <<EOF", "echo"], "DL1000")).toEqual([[2, "DL1000"]]);
    expect(hits(["FORM debian"], "DL1000")).toEqual([
      [1, "DL1000"],
      [1, "DL1000"],
    ]);
  });
  it("is quiet on a valid file", () => {
    expect(hits(wrap("RUN echo ok"), "DL1000")).toEqual([]);
  });
});
