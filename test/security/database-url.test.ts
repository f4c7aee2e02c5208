import { describe, expect, it } from "vitest";
import { parseDatabaseUrl, redactUrl } from "../../src/server/store/index.js";

/**
 * PostgreSQL URLs reach logs (`airbag worker`'s ready line) and error messages only through redactUrl:
 * the password is gone wherever libpq accepts one — in the userinfo and as a query parameter.
 */

const SECRET = "pg-Secret-7Hq2";

describe("redactUrl", () => {
  it.each([
    `postgres://airbag:${SECRET}@127.0.0.1:5432/airbag`,
    `postgresql://airbag@127.0.0.1/airbag?password=${SECRET}&sslmode=require`,
    `postgres://airbag@127.0.0.1/airbag?sslpassword=${SECRET}`,
    `postgres://airbag:${SECRET}@[::1`, // not parseable as a URL: still redacted
  ])("hides the password of %s", (url) => {
    const shown = redactUrl(url);
    expect(shown).not.toContain(SECRET);
    expect(shown).toContain("***");
  });

  it("keeps what identifies the database", () => {
    expect(redactUrl(`postgres://airbag:${SECRET}@db.internal:5433/fleet?sslmode=require`)).toBe(
      "postgres://airbag:***@db.internal:5433/fleet?sslmode=require",
    );
  });

  it("an invalid --database names the URL without its password", () => {
    expect(() => parseDatabaseUrl(`postgres://airbag:${SECRET}@`)).toThrow(/--database postgres:/);
    try {
      parseDatabaseUrl(`postgres://airbag:${SECRET}@`);
    } catch (e) {
      expect((e as Error).message).not.toContain(SECRET);
    }
  });
});
