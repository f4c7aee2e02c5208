import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { logout, UNAUTHORIZED_EVENT, whoAmI } from "./api.js";
import { html } from "./lib.js";
import { href, useRoute } from "./router.js";
import { AlertsView } from "./views/alerts.js";
import { ApprovalsView } from "./views/approvals.js";
import { HostsView } from "./views/hosts.js";
import { ImageDetailView } from "./views/image-detail.js";
import { ImagesView } from "./views/images.js";
import { LoginView } from "./views/login.js";
import { OverviewView } from "./views/overview.js";
import { TrendsView } from "./views/trends.js";

/** The shell: who is logged in, the navigation, and the view the hash names. */

const NAV = [
  ["overview", "Overview"],
  ["images", "Images"],
  ["trends", "Trends"],
  ["hosts", "Hosts"],
  ["alerts", "Alerts"],
  ["approvals", "Approvals"],
];

/** @param {{ route: import("./router.js").Route, session: import("./api.js").Session }} p */
function CurrentView({ route, session }) {
  const [view = "overview", arg] = route.parts;
  switch (view) {
    case "images":
      return arg ? html`<${ImageDetailView} digest=${arg} />` : html`<${ImagesView} query=${route.query} />`;
    case "trends":
      return html`<${TrendsView} />`;
    case "hosts":
      return html`<${HostsView} />`;
    case "alerts":
      return html`<${AlertsView} />`;
    case "approvals":
      return html`<${ApprovalsView} session=${session} query=${route.query} />`;
    default:
      return html`<${OverviewView} />`;
  }
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState(/** @type {import("./api.js").Session | undefined | null} */ (null));
  useEffect(() => {
    whoAmI().then(setSession, () => setSession(undefined));
    const expired = () => setSession(undefined);
    window.addEventListener(UNAUTHORIZED_EVENT, expired);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, expired);
  }, []);

  if (session === null) return html`<p class="muted boot">Loading…</p>`;
  if (!session) return html`<${LoginView} onLogin=${setSession} />`;
  const current = route.parts[0] ?? "overview";
  const signOut = () => logout().finally(() => setSession(undefined));
  return html`
    <header class="top">
      <strong class="brand">Airbag</strong>
      <nav>
        ${NAV.map(
          ([id, label]) =>
            html`<a href=${href([id])} class=${current === id ? "active" : ""} aria-current=${current === id ? "page" : undefined}>${label}</a>`,
        )}
      </nav>
      <span class="who" data-testid="who">${session.name} <span class="role">${session.role}</span></span>
      <button type="button" class="link" onClick=${signOut}>Sign out</button>
    </header>
    <main><${CurrentView} route=${route} session=${session} /></main>
  `;
}

const root = document.getElementById("app");
if (root) render(html`<${App} />`, root);
