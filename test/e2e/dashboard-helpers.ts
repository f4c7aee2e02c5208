import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/**
 * Driving the dashboard in headless Chromium (Debian's /usr/bin/chromium through playwright-core), for
 * the dashboard test and for end-to-end tests built on it (an approval clicked in the browser stopping a
 * real container). Every page records what went wrong — console errors, uncaught exceptions, failed or
 * 4xx/5xx requests — so a test can assert the page ran clean.
 */

export const CHROMIUM = "/usr/bin/chromium";
export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface DashboardPage {
  context: BrowserContext;
  page: Page;
  /** one line per problem seen so far: "console: …", "pageerror: …", "request failed: …", "http 404: …" */
  problems: string[];
  /** requests answered with these statuses are expected (e.g. a 401 in a negative login test) */
  allowStatus: Set<number>;
}

/** A fresh browser context (own cookies and storage) on `baseUrl`, recording problems. */
export async function openDashboard(browser: Browser, baseUrl: string): Promise<DashboardPage> {
  const context = await browser.newContext({ baseURL: baseUrl });
  const page = await context.newPage();
  const problems: string[] = [];
  const allowStatus = new Set<number>();
  page.on("console", (m) => {
    // a response the test allowed also shows up as a console error ("Failed to load resource: … 401")
    if (
      m.type() === "error" &&
      !/Failed to load resource: the server responded with a status of (\d+)/.test(m.text())
    ) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) =>
    problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`),
  );
  page.on("response", (r) => {
    if (r.status() >= 400 && !allowStatus.has(r.status()))
      problems.push(`http ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  await page.goto("/");
  return { context, page, problems, allowStatus };
}

/** Log in with an API token through the login form; resolves once the navigation shows who is logged in. */
export async function login(page: Page, token: string): Promise<{ name: string; role: string }> {
  await page.goto("/#/overview");
  await page.locator("#token").fill(token);
  const answer = page.waitForResponse(
    (r) => r.url().endsWith("/api/v1/session") && r.request().method() === "POST",
  );
  await page.getByRole("button", { name: "Sign in" }).click();
  const res = await answer;
  if (!res.ok()) throw new Error(`login failed: ${res.status()} ${await res.text()}`);
  await page.getByTestId("who").waitFor();
  const body = (await res.json()) as { name: string; role: string };
  return { name: body.name, role: body.role };
}

/** The approval's card on the approvals page (pending ones by default). */
export async function approvalCard(page: Page, id: string, state = "pending") {
  await page.goto(`/#/approvals?state=${state}`);
  const card = page.locator(`li.approval[data-approval="${id}"]`);
  await card.waitFor();
  return card;
}

/**
 * Click Approve (or Deny) on a pending approval, optionally with a reason; resolves with the server's
 * answer to that POST once the card has left the pending list.
 */
export async function decideInBrowser(
  page: Page,
  id: string,
  verdict: "approve" | "deny" = "approve",
  reason?: string,
): Promise<{ status: number; body: unknown }> {
  const card = await approvalCard(page, id);
  if (reason) await card.getByRole("textbox", { name: "Reason" }).fill(reason);
  const answer = page.waitForResponse(
    (r) =>
      r.url().endsWith(`/api/v1/approvals/${encodeURIComponent(id)}/${verdict}`) &&
      r.request().method() === "POST",
  );
  await card.getByRole("button", { name: verdict === "approve" ? "Approve" : "Deny" }).click();
  const res = await answer;
  await card.waitFor({ state: "detached" });
  return { status: res.status(), body: await res.json() };
}
