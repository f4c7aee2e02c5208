import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, type Server } from "../../src/server/app.js";
import { VulnDb } from "../../src/vulndb/store.js";
import {
  APPROVAL_DENY_ID,
  APPROVAL_ID,
  CLEAN_IMAGE,
  CRITICAL_IMAGE,
  type FleetTokens,
  apiCall as fleetApiCall,
  HOST,
  HOSTILE_REF,
  seedFleet,
} from "./dashboard-fixtures.js";
import { approvalCard, decideInBrowser, launchBrowser, login, openDashboard } from "./dashboard-helpers.js";

/**
 * The dashboard in headless Chromium against the real `airbag serve` (SQLite store, real routes, auth,
 * sessions and CSRF): data goes in through the store and the agents' API, the browser logs in with
 * tokens of different roles and reads and decides through the page.
 */

let tmp: string;
let server: Server;
let base: string;
let browser: Browser;
let tokens: FleetTokens;

const apiCall = (method: string, path: string, token: string, body?: unknown) =>
  fleetApiCall(base, method, path, token, body);

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "airbag-dashboard-"));
  // a fresh (empty) vulnerability DB, so the overview has a build time to show
  const vulnDb = join(tmp, "vuln.sqlite");
  const db = VulnDb.open(vulnDb);
  db.stampSource("osv", new Date().toISOString());
  db.close();

  server = await buildServer({
    stateDir: tmp,
    database: `sqlite:${join(tmp, "server.sqlite")}`,
    vulnDb,
    inProcessWorkers: 0,
    dbWatchMs: 0,
    warn: () => {},
  });
  base = await server.listen("127.0.0.1", 0);
  tokens = await seedFleet(server, base);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("dashboard static files", () => {
  it("serves the page with a strict CSP that allows exactly its import map", async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const d of [
      "default-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(d);
    }
    const html = await res.text();
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    const { createHash } = await import("node:crypto");
    expect(csp).toContain(
      `script-src 'self' 'sha256-${createHash("sha256").update(importMap).digest("base64")}'`,
    );
    expect(csp).not.toContain("unsafe-inline");
  });

  it("serves the vendor modules from node_modules and nothing outside the known files", async () => {
    for (const [path, type] of [
      ["/ui/vendor/preact.module.js", "text/javascript"],
      ["/ui/vendor/hooks.module.js", "text/javascript"],
      ["/ui/vendor/htm.module.js", "text/javascript"],
      ["/ui/vendor/uPlot.esm.js", "text/javascript"],
      ["/ui/vendor/uPlot.min.css", "text/css"],
      ["/ui/app.js", "text/javascript"],
    ] as const) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain(type);
      expect(res.headers.get("content-security-policy"), path).toContain("default-src 'self'");
    }
    const cached = await fetch(`${base}/ui/app.js`);
    const again = await fetch(`${base}/ui/app.js`, {
      headers: { "if-none-match": cached.headers.get("etag") ?? "" },
    });
    expect(again.status).toBe(304);
    // only files known at startup are served: nothing else under /ui/, and no way out of it
    expect((await fetch(`${base}/ui/nope.js`)).status).toBe(404);
    for (const path of [
      "/ui/../package.json",
      "/ui/vendor/../../package.json",
      "/ui/%2e%2e/package.json",
      "/ui/vendor/..%2f..%2fpackage.json",
      "/ui/..%2f..%2f..%2fpackage.json",
    ]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(await res.text(), path).not.toContain('"name": "airbag"');
    }
  });
});

describe("dashboard in Chromium", () => {
  it("an operator sees images with severities, filters them and opens one's findings", async () => {
    const d = await openDashboard(browser, base);
    try {
      const who = await login(d.page, tokens.operator);
      expect(who).toEqual({ name: "operator-user", role: "operator" });

      await d.page.goto("/#/images");
      const table = d.page.getByTestId("images-table");
      const critical = table.locator(`tr[data-digest="${CRITICAL_IMAGE}"]`);
      await expect
        .poll(() => critical.locator(".sev").allTextContents())
        .toEqual(["critical 1", "high 1", "medium 1"]);
      expect(await table.locator(`tr[data-digest="${CLEAN_IMAGE}"]`).textContent()).toContain("none");
      // server data is text, never markup: the hostile reference shows literally and runs nothing
      await d.page.getByRole("link", { name: HOSTILE_REF, exact: true }).waitFor();
      expect(await d.page.locator("img[src=x]").count()).toBe(0);
      expect(await d.page.title()).toBe("Airbag");

      // severity filter: only images with a finding at or above it
      await d.page.locator("select[name=severity]").selectOption("critical");
      await expect.poll(() => table.locator("tbody tr").count()).toBe(1);
      expect(await table.locator("tbody tr").getAttribute("data-digest")).toBe(CRITICAL_IMAGE);
      expect(d.page.url()).toContain("severity=critical");

      // reference search (debounced into the hash, answered by the server)
      await d.page.locator("select[name=severity]").selectOption("");
      await d.page.locator("input[name=ref]").fill("alpine");
      await expect.poll(() => d.page.url()).toContain("ref=alpine");
      await expect.poll(() => table.locator("tbody tr").getAttribute("data-digest")).toBe(CLEAN_IMAGE);
      expect(await table.locator("tbody tr").count()).toBe(1);
      await d.page.locator("input[name=ref]").fill("no-such-image");
      await d.page.getByTestId("images-empty").waitFor();

      // click through to the findings, worst first, with their package
      await d.page.goto("/#/images");
      await d.page.getByRole("link", { name: "registry.example/web:1" }).click();
      const findings = d.page.getByTestId("findings-table");
      await findings.waitFor();
      const ids = await findings.locator("tbody tr td:nth-child(3)").allTextContents();
      expect(ids).toEqual(["CVE-2024-0002 KEV", "CVE-2024-0001", "CVE-2024-0003"]);
      const first = await findings.locator("tbody tr").first().textContent();
      expect(first).toContain("libssl3");
      expect(first).toContain("3.0.13-1~deb12u1");

      // a reload keeps the session (HttpOnly cookie + stored CSRF token)
      await d.page.reload();
      await d.page.getByTestId("findings-table").waitFor();
      expect(d.problems).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  it("shows DB freshness, bench scores, trends, hosts with container risk, and alerts", async () => {
    const d = await openDashboard(browser, base);
    try {
      await login(d.page, tokens.viewer);

      await d.page.goto("/#/overview");
      await expect.poll(() => d.page.getByTestId("db-freshness").textContent()).toContain("fresh");
      expect(await d.page.getByTestId("db-freshness").textContent()).toContain("osv");
      await expect.poll(() => d.page.getByTestId("count-hosts").textContent()).toBe("1");
      await expect.poll(() => d.page.getByTestId("count-approvals").textContent()).toBe("2");
      const bench = d.page.locator(`[data-testid=bench-table] tr[data-host="${HOST}"]`);
      await expect.poll(() => bench.locator("td").nth(1).textContent()).toBe("17");
      expect(await bench.locator("td").nth(2).textContent()).toContain("68 %");

      // the trend chart: uPlot drew on its canvas (some pixels are not blank)
      await d.page.goto("/#/trends");
      const canvas = d.page.locator("[data-testid=trend-chart] canvas");
      await canvas.waitFor();
      // (no DOM lib in this project's tsconfig: the canvas typed by what is used)
      type Canvas = {
        width: number;
        height: number;
        getContext(t: "2d"): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const painted = await canvas.evaluate((c: Canvas) => {
        const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) n++;
        return { n, width: c.width, height: c.height };
      });
      expect(painted.width).toBeGreaterThan(300);
      expect(painted.n).toBeGreaterThan(1000);
      const legend = await d.page.locator(".u-legend").textContent();
      for (const s of ["critical", "high", "medium", "low"]) expect(legend).toContain(s);

      // hosts: each running container with the risk of its image
      await d.page.goto("/#/hosts");
      const host = d.page.locator(`section.host[data-host="${HOST}"]`);
      await host.waitFor();
      const risk = async (name: string) =>
        ((await host.locator(`tr[data-container="${name}"] td`).nth(3).textContent()) ?? "").trim();
      expect(await risk("web")).toBe("critical");
      expect(await host.locator('tr[data-container="web"]').textContent()).toContain("privileged");
      expect(await risk("cache")).toBe("clean");
      expect(await risk("batch")).toBe("not scanned");

      await d.page.goto("/#/alerts");
      const alerts = d.page.getByTestId("alerts-table");
      await alerts.waitFor();
      expect(await alerts.textContent()).toContain("[critical] cryptominer in web");
      expect(await alerts.textContent()).toContain("stop: pending");
      expect(d.problems).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  it("a viewer sees pending approvals without Approve/Deny buttons", async () => {
    const d = await openDashboard(browser, base);
    try {
      await login(d.page, tokens.viewer);
      const card = await approvalCard(d.page, APPROVAL_DENY_ID);
      expect(await card.textContent()).toContain("Cryptominer process");
      expect(await d.page.getByTestId("read-only").isVisible()).toBe(true);
      expect(await d.page.getByRole("button", { name: "Approve" }).count()).toBe(0);
      expect(await d.page.getByRole("button", { name: "Deny" }).count()).toBe(0);
      expect(d.problems).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  it("an operator's click on Approve (and Deny) decides the approval on the server", async () => {
    const d = await openDashboard(browser, base);
    try {
      await login(d.page, tokens.operator);
      // the session cookie alone decides nothing: without the CSRF header the server refuses
      d.allowStatus.add(403);
      const forged = await d.page.evaluate(
        async (id) => (await fetch(`/api/v1/approvals/${id}/approve`, { method: "POST" })).status,
        APPROVAL_ID,
      );
      expect(forged).toBe(403);
      d.allowStatus.delete(403);
      expect((await apiCall("GET", `/api/v1/approvals/${APPROVAL_ID}`, tokens.viewer)).body.state).toBe(
        "pending",
      );

      const approved = await decideInBrowser(d.page, APPROVAL_ID, "approve", "confirmed miner");
      expect(approved.status).toBe(200);
      const row = await apiCall("GET", `/api/v1/approvals/${APPROVAL_ID}`, tokens.viewer);
      expect(row.body).toMatchObject({
        state: "approved",
        decision: { verdict: "approve", by: "operator-user", reason: "confirmed miner" },
      });

      const denied = await decideInBrowser(d.page, APPROVAL_DENY_ID, "deny");
      expect(denied.status).toBe(200);
      expect((await apiCall("GET", `/api/v1/approvals/${APPROVAL_DENY_ID}`, tokens.viewer)).body.state).toBe(
        "denied",
      );

      // the decided one is listed under its new state, without buttons
      const card = await approvalCard(d.page, APPROVAL_ID, "approved");
      expect(await card.textContent()).toContain("Approved by operator-user: confirmed miner");
      expect(await card.getByRole("button").count()).toBe(0);

      // signing out ends the session: the page is back at the login form and the cookie no longer works
      await d.page.getByRole("button", { name: "Sign out" }).click();
      await d.page.locator("#token").waitFor();
      d.allowStatus.add(401);
      const after = await d.page.evaluate(async () => (await fetch("/api/v1/me")).status);
      expect(after).toBe(401);
      expect(d.problems).toEqual([]);
    } finally {
      await d.context.close();
    }
  });
});
