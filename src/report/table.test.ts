import { describe, expect, it } from "vitest";
import type { Inventory, Package } from "../model/index.js";
import { renderInventory } from "./format.js";

const ESC = "\u001b";
const p = (name: string, version: string, type: string, ecosystem: string, path: string): Package => ({
  id: `${name}-id`,
  name,
  version,
  type,
  ecosystem,
  purl: `pkg:${type}/${name}@${version}`,
  locations: [{ path, layer: `sha256:${"1".repeat(64)}` }],
  licenses: [],
});
const inventory = (): Inventory => ({
  schemaVersion: 1,
  target: {
    name: "alpine:3.19",
    kind: "registry",
    digest: `sha256:${"b".repeat(64)}`,
    os: { family: "alpine", version: "3.19.1" },
  },
  packages: [
    p("musl", "1.2.4_git20230717-r4", "apk", "Alpine:v3.19", "lib/apk/db/installed"),
    p("busybox", "1.36.1-r15", "apk", "Alpine:v3.19", "lib/apk/db/installed"),
    p("@babel/core", "7.23.2", "npm", "npm", "usr/lib/node_modules/@babel/core/package.json"),
  ],
});
const table = (inv: Inventory, color: boolean): string =>
  renderInventory("table", inv, { color, toolVersion: "0.1.0" });

describe("table", () => {
  it("shows target, OS, digest, count and every package", () => {
    const out = table(inventory(), false);
    expect(out).toMatch(/Target:\s+alpine:3\.19 \(registry\)/);
    expect(out).toMatch(/OS:\s+alpine 3\.19\.1/);
    expect(out).toContain(`sha256:${"b".repeat(64)}`);
    expect(out).toMatch(/Packages:\s+3/);
    for (const pk of inventory().packages) expect(out).toContain(pk.name);
    expect(out).toContain("apk (Alpine:v3.19)");
  });

  it("aligns columns and sorts rows by name", () => {
    const lines = table(inventory(), false).split("\n");
    const header = lines.findIndex((l) => l.startsWith("NAME"));
    const rows = lines.slice(header + 1, header + 4);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(["@babel/core", "busybox", "musl"]);
    const col = (lines[header] as string).indexOf("VERSION");
    expect(rows.map((r) => r.indexOf(r.split(/\s+/)[1] as string))).toEqual([col, col, col]);
  });

  it("has no escape sequences without color, and some with it", () => {
    expect(table(inventory(), false)).not.toContain(ESC);
    expect(table(inventory(), true)).toContain(ESC);
  });

  it("neutralises control characters from hostile package metadata", () => {
    const inv = inventory();
    inv.packages.push(p(`evil${ESC}[2J${ESC}]0;owned\u0007`, "1\r\n0", "npm", "npm", "x"));
    const out = table(inv, false);
    expect(out).not.toContain(ESC);
    expect(out).not.toContain("\r");
    expect(out).toContain("evil?[2J?]0;owned?");
  });

  it("says so when there are no packages, and prints warnings", () => {
    const out = table({ ...inventory(), packages: [], warnings: ["usr/lib/os-release unreadable"] }, false);
    expect(out).toMatch(/Packages:\s+0/);
    expect(out).toContain("No packages found.");
    expect(out).toContain("warning: usr/lib/os-release unreadable");
  });
});
