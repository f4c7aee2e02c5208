import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// the CLI's default layer cache and database live under XDG_CACHE_HOME: give every test run a fresh,
// private one, so no test reads another run's cache or writes into the user's home
const cacheHome = mkdtempSync(join(tmpdir(), "airbag-test-xdg-cache-"));

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: "forks",
    env: { XDG_CACHE_HOME: cacheHome },
  },
});
