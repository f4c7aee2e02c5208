import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { AirbagError } from "../model/index.js";
import { cacheMaxBytes, cachePath } from "./cache-path.js";

describe("layer cache path and size", () => {
  it("sits beside the vulnerability database unless a directory is given", () => {
    expect(cachePath("rel/dir", undefined, {})).toBe(resolve("rel/dir", "layer-cache.sqlite"));
    expect(cachePath(undefined, "/x/y/db.sqlite", {})).toBe("/x/y/layer-cache.sqlite");
    expect(cachePath(undefined, undefined, { AIRBAG_DB: "/a/b.sqlite" })).toBe("/a/layer-cache.sqlite");
    expect(cachePath(undefined, undefined, { XDG_CACHE_HOME: "/xdg" })).toBe(
      join("/xdg", "airbag", "layer-cache.sqlite"),
    );
  });

  it("is capped at 2 GiB, or AIRBAG_CACHE_MAX_MB; a bad value is an input error", () => {
    expect(cacheMaxBytes({})).toBe(2 * 2 ** 30);
    expect(cacheMaxBytes({ AIRBAG_CACHE_MAX_MB: "64" })).toBe(64 * 2 ** 20);
    for (const bad of ["0", "-1", "lots"]) {
      const err = (() => {
        try {
          return cacheMaxBytes({ AIRBAG_CACHE_MAX_MB: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(AirbagError);
      expect((err as Error).message).toMatch(/^AIRBAG_CACHE_MAX_MB: expected a positive number/);
    }
  });
});
