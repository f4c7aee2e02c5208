import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ImageMeta } from "../detector.js";
import { misconfigConfigScanner } from "./config-checks.js";

/** An image config no check objects to; each test changes one thing. */
const clean = (over: Partial<ImageMeta> = {}): ImageMeta => ({
  name: "registry.example/app:1.4.2",
  user: "app",
  env: ["PATH=/usr/local/bin:/usr/bin:/bin", "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D"],
  labels: { "org.opencontainers.image.source": "https://example.com/app" },
  entrypoint: ["/app/server"],
  cmd: [],
  exposedPorts: ["8080/tcp"],
  healthcheck: { test: ["CMD", "/app/server", "--health"] },
  history: [
    { createdBy: "/bin/sh -c #(nop) ADD file:abc in / ", emptyLayer: false },
    {
      createdBy:
        "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl # buildkit",
      emptyLayer: false,
    },
    { createdBy: "COPY /out /app # buildkit", emptyLayer: false },
  ],
  ...over,
});

const scan = (meta: ImageMeta) => misconfigConfigScanner.scanConfig(meta);
const ids = (meta: ImageMeta) => scan(meta).map((f) => f.id);
const history = (...createdBy: string[]) => createdBy.map((c) => ({ createdBy: c, emptyLayer: false }));

describe("image config checks", () => {
  it("find nothing in a clean config", () => {
    expect(scan(clean())).toEqual([]);
  });

  it("CIS-DI-0001: no USER or a root USER", () => {
    const { user: _, ...noUser } = clean();
    expect(scan(noUser)).toMatchObject([
      {
        id: "CIS-DI-0001",
        severity: "medium",
        field: "config.User",
        evidence: expect.stringContaining("not set"),
      },
    ]);
    expect(ids(clean({ user: "0:0" }))).toEqual(["CIS-DI-0001"]);
    expect(ids(clean({ user: "root" }))).toEqual(["CIS-DI-0001"]);
    expect(ids(clean({ user: "1000:0" }))).toEqual([]);
  });

  it("CIS-DI-0006: no HEALTHCHECK, or HEALTHCHECK NONE", () => {
    const { healthcheck: _, ...none } = clean();
    expect(ids(none)).toEqual(["CIS-DI-0006"]);
    expect(scan(clean({ healthcheck: { test: ["NONE"] } }))[0]).toMatchObject({
      id: "CIS-DI-0006",
      severity: "low",
    });
  });

  it("CIS-DI-0010: credential-like names in Env, Labels and recorded build args, values never shown", () => {
    const found = scan(
      clean({
        env: ["PATH=/bin", "DB_PASSWORD=hunter2", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI", "API_TOKEN="],
        labels: { "com.example.deploy-token": "tok-123" },
        history: history(
          "RUN |1 NPM_TOKEN=npm_abcdef /bin/sh -c npm ci # buildkit",
          "RUN |1 NPM_TOKEN=npm_abcdef /bin/sh -c npm run build # buildkit",
        ),
      }),
    );
    expect(found.map((f) => [f.id, f.severity, f.field])).toEqual([
      ["CIS-DI-0010", "high", "config.Env[1]"],
      ["CIS-DI-0010", "high", "config.Env[2]"],
      ["CIS-DI-0010", "high", 'config.Labels["com.example.deploy-token"]'],
      ["CIS-DI-0010", "high", "history[0].created_by"],
    ]);
    const text = JSON.stringify(found);
    for (const secret of ["hunter2", "wJalrXUtnFEMI", "tok-123", "npm_abcdef"])
      expect(text).not.toContain(secret);
  });

  it("CIS-DI-0010: no false alarms on look-alike names and mounted-secret paths", () => {
    const env = [
      "KEYCLOAK_VERSION=24",
      "POSTGRES_PASSWORD_FILE=/run/secrets/db",
      "PUBLIC_KEY=abc",
      "MONKEY=1",
    ];
    expect(ids(clean({ env, history: history("|1 VERSION=1.2 /bin/sh -c make") }))).toEqual([]);
  });

  it("CIS-DI-0009: ADD from a URL (not the base rootfs, not a checksummed one)", () => {
    const h = history("ADD https://example.com/tool.tgz /opt/ # buildkit");
    expect(scan(clean({ history: h }))).toMatchObject([
      { id: "CIS-DI-0009", field: "history[0].created_by" },
    ]);
    const ok = history(
      "ADD --checksum=sha256:abc https://example.com/t.tgz /opt/ # buildkit",
      "/bin/sh -c #(nop) ADD file:x in /",
    );
    expect(ids(clean({ history: ok }))).toEqual([]);
  });

  it("AB-DI-0001: curl | sh in a build step, found by tokenising", () => {
    const h = history("/bin/sh -c curl -fsSL https://get.example | sudo -E bash -");
    const found = scan(clean({ history: h }));
    expect(found.map((f) => f.id).sort()).toEqual(["AB-DI-0001", "DKL-DI-0001"]);
    expect(found.find((f) => f.id === "AB-DI-0001")?.evidence).toBe(
      "curl -fsSL https://get.example | sudo bash -",
    );
    const ok = history(`/bin/sh -c echo "curl x | sh" > /README && curl -o /tmp/x https://x`);
    expect(ids(clean({ history: ok }))).toEqual([]);
  });

  it("DKL-DI-0001: sudo run by a build step, not sudo mentioned", () => {
    expect(ids(clean({ history: history("/bin/sh -c sudo make install") }))).toEqual(["DKL-DI-0001"]);
    expect(ids(clean({ history: history("/bin/sh -c apt-get purge -y sudo && echo sudo") }))).toEqual([]);
  });

  it("CIS-DI-0007: apt-get update alone in a step", () => {
    expect(ids(clean({ history: history("RUN /bin/sh -c apt-get update # buildkit") }))).toEqual([
      "CIS-DI-0007",
    ]);
    expect(ids(clean({ history: history("/bin/sh -c apk update && apk upgrade") }))).toEqual([]);
  });

  it("AB-DI-0002: port 22 exposed or sshd as the entrypoint", () => {
    expect(scan(clean({ exposedPorts: ["22/tcp", "80/tcp"] }))).toMatchObject([
      { id: "AB-DI-0002", field: "config.ExposedPorts", evidence: "exposes 22/tcp" },
    ]);
    expect(ids(clean({ entrypoint: ["/usr/sbin/sshd", "-D"] }))).toEqual(["AB-DI-0002"]);
    expect(ids(clean({ cmd: ["/bin/sh", "-c", "/usr/sbin/sshd && exec app"] }))).toEqual(["AB-DI-0002"]);
    expect(ids(clean({ exposedPorts: ["2222/tcp"], cmd: ["ssh-keygen"] }))).toEqual([]);
  });

  it("DKL-DI-0006: latest or no tag in the image name", () => {
    expect(ids(clean({ name: "nginx" }))).toEqual(["DKL-DI-0006"]);
    expect(ids(clean({ name: "registry:docker.io/library/nginx:latest" }))).toEqual(["DKL-DI-0006"]);
    expect(ids(clean({ name: "localhost:5000/app" }))).toEqual(["DKL-DI-0006"]);
    for (const name of [
      "nginx:1.27",
      `nginx:latest@sha256:${"a".repeat(64)}`,
      "docker-archive:/tmp/x.tar",
      "oci:./layout:latest",
      "dir:/",
      "/tmp/image.tar",
    ])
      expect(ids(clean({ name }))).toEqual([]);
  });

  it("never throws on arbitrary config values", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.constantFrom("|1 A=b /bin/sh -c", "RUN ", "/bin/sh -c #(nop) ADD", "["),
    );
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 5 }),
        fc.array(text, { maxLength: 5 }),
        text,
        (env, createdBy, name) => {
          scan(clean({ env, name, history: history(...createdBy), exposedPorts: env, cmd: createdBy }));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
