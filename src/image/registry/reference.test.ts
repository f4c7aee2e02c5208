import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import {
  formatReference,
  type ImageReference,
  isLoopbackRegistry,
  parseReference,
  referenceTarget,
} from "./reference.js";

const HEX = `${"a".repeat(60)}0123`;

describe("parseReference", () => {
  it.each([
    ["debian", "docker.io", "library/debian", "latest", undefined],
    ["debian:12", "docker.io", "library/debian", "12", undefined],
    ["library/debian:12-slim", "docker.io", "library/debian", "12-slim", undefined],
    ["bitnami/redis", "docker.io", "bitnami/redis", "latest", undefined],
    ["docker.io/debian", "docker.io", "library/debian", "latest", undefined],
    ["index.docker.io/library/debian:12", "docker.io", "library/debian", "12", undefined],
    ["ghcr.io/org/team/app:v1.2.3", "ghcr.io", "org/team/app", "v1.2.3", undefined],
    ["localhost/app", "localhost", "app", "latest", undefined],
    ["localhost:5000/app:1", "localhost:5000", "app", "1", undefined],
    ["127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", "latest", undefined],
    ["[::1]:5000/app:x", "[::1]:5000", "app", "x", undefined],
    [`app@sha256:${HEX}`, "docker.io", "library/app", undefined, `sha256:${HEX}`],
    [`quay.io/a/b:7@sha256:${HEX}`, "quay.io", "a/b", "7", `sha256:${HEX}`],
    ["Registry.Example/app", "Registry.Example", "app", "latest", undefined],
  ])("%s → registry %s, repository %s", (raw, registry, repository, tag, digest) => {
    const r = parseReference(raw);
    expect(r).toEqual({ registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) });
  });

  it("pulls by digest when one is pinned, else by tag", () => {
    expect(referenceTarget(parseReference(`a:1@sha256:${HEX}`))).toBe(`sha256:${HEX}`);
    expect(referenceTarget(parseReference("a"))).toBe("latest");
  });

  it.each([
    ["", "no repository name"],
    ["Debian", "lowercase"],
    ["debian:", "invalid tag"],
    ["debian:-x", "invalid tag"],
    ["a//b", "path component"],
    ["a/-b", "path component"],
    ["debian@sha256:abc", "digest"],
    [`debian@sha256:${"A".repeat(64)}`, "digest"],
    ["host_x.io:5000/app", "registry host"],
    [HEX, "image ID"],
  ])("refuses %j (%s)", (raw, why) => {
    expect(() => parseReference(raw)).toThrow(why);
    try {
      parseReference(raw);
    } catch (err) {
      expect(err).toBeInstanceOf(AirbagError);
      expect((err as Error).message).toContain(`"${raw}"`);
    }
  });

  it("knows loopback registries", () => {
    for (const r of ["127.0.0.1:5000", "localhost", "localhost:1", "[::1]:80", "127.1.2.3"])
      expect(isLoopbackRegistry(r)).toBe(true);
    for (const r of ["docker.io", "10.0.0.1:5000", "127.example.com", "localhost.example"])
      expect(isLoopbackRegistry(r)).toBe(false);
  });
});

const alnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const component = fc
  .tuple(alnum, fc.array(fc.tuple(fc.constantFrom(".", "_", "__", "-", "--"), alnum), { maxLength: 2 }))
  .map(([a, rest]) => a + rest.map(([s, b]) => s + b).join(""));
const host = fc.oneof(
  fc.constantFrom("localhost", "ghcr.io", "quay.io", "registry.example.com", "127.0.0.1", "[::1]"),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]\.[a-z]{2,4}$/),
);
const registry = fc
  .tuple(host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
  .map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
const reference: fc.Arbitrary<ImageReference> = fc
  .record({
    registry,
    repository: fc.array(component, { minLength: 1, maxLength: 3 }).map((c) => c.join("/")),
    tag: fc.option(fc.stringMatching(/^[\w][\w.-]{0,20}$/), { nil: undefined }),
    digest: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
  })
  .map((r) => ({
    registry: r.registry,
    repository: r.repository,
    ...(r.tag || !r.digest ? { tag: r.tag ?? "latest" } : {}),
    ...(r.digest ? { digest: `sha256:${r.digest}` } : {}),
  }));

describe("parseReference properties", () => {
  it("round-trips every fully qualified reference", () => {
    fc.assert(
      fc.property(reference, (r) => {
        expect(parseReference(formatReference(r))).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it("normalises idempotently", () => {
    const loose = fc.oneof(
      reference.map(formatReference),
      fc.tuple(component, fc.option(component, { nil: undefined })).map(([a, b]) => (b ? `${a}/${b}` : a)),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(loose, (raw) => {
        let once: ImageReference;
        try {
          once = parseReference(raw);
        } catch (err) {
          // anything unparsable is a one-line usage error naming the input, never a crash
          expect(err).toBeInstanceOf(AirbagError);
          expect((err as Error).message).not.toContain("\n");
          return;
        }
        expect(parseReference(formatReference(once))).toEqual(once);
        expect(formatReference(once).startsWith(`${once.registry}/`)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("puts every one-component Docker Hub name under library/", () => {
    fc.assert(
      fc.property(component, (name) => {
        fc.pre(!/^[0-9a-f]{64}$/.test(name));
        expect(parseReference(name)).toEqual({
          registry: "docker.io",
          repository: `library/${name}`,
          tag: "latest",
        });
      }),
    );
  });
});
