import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configPath, removeLeftovers, resolveDbPath, workPath } from "./db-path.js";

const work = mkdtempSync(join(tmpdir(), "airbag-dbpath-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("resolveDbPath", () => {
  const env = { AIRBAG_DB: "/env/db.sqlite", XDG_CACHE_HOME: "/xdg", HOME: "/home/u" };
  it("--db wins, then $AIRBAG_DB, then $XDG_CACHE_HOME, then ~/.cache", () => {
    expect(resolveDbPath("/flag/db.sqlite", env)).toBe("/flag/db.sqlite");
    expect(resolveDbPath("rel.sqlite", env)).toBe(resolve("rel.sqlite"));
    expect(resolveDbPath(undefined, env)).toBe("/env/db.sqlite");
    expect(resolveDbPath(undefined, { ...env, AIRBAG_DB: "" })).toBe("/xdg/airbag/db.sqlite");
    expect(resolveDbPath(undefined, { HOME: "/home/u" })).toBe("/home/u/.cache/airbag/db.sqlite");
    // a relative XDG_CACHE_HOME is invalid per the XDG spec and ignored
    expect(resolveDbPath(undefined, { XDG_CACHE_HOME: "cache", HOME: "/home/u" })).toBe(
      "/home/u/.cache/airbag/db.sqlite",
    );
    expect(resolveDbPath(undefined, {})).toBe(join(homedir(), ".cache/airbag/db.sqlite"));
  });

  it("finds the sources file under $XDG_CONFIG_HOME, else ~/.config", () => {
    expect(configPath("sources.yaml", { XDG_CONFIG_HOME: "/cfg" })).toBe("/cfg/airbag/sources.yaml");
    expect(configPath("sources.yaml", { HOME: "/h" })).toBe("/h/.config/airbag/sources.yaml");
  });
});

describe("removeLeftovers", () => {
  it("removes work files of dead processes only, never the database or its journal", async () => {
    const dir = join(work, "cache");
    mkdirSync(dir);
    const db = join(dir, "db.sqlite");
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default range: never a live process
    const files = {
      db,
      journal: `${db}-journal`,
      deadCopy: `${db}.tmp-${dead}-3`,
      deadBundle: `${db}.tmp-${dead}-bundle`,
      mine: workPath(db, "tmp", "7"),
      other: join(dir, "other.sqlite.tmp-1-1"),
    };
    for (const f of Object.values(files)) writeFileSync(f, "x");
    mkdirSync(`${db}.download-${dead}`);
    writeFileSync(join(`${db}.download-${dead}`, "kev-1.json"), "{");
    const removed = await removeLeftovers(db);
    expect(removed.sort()).toEqual([`${db}.download-${dead}`, files.deadBundle, files.deadCopy].sort());
  });
});
