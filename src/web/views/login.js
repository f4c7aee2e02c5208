import { useState } from "preact/hooks";
import { login } from "../api.js";
import { html } from "../lib.js";

/**
 * Paste an API token; the server answers with an HttpOnly session cookie and a CSRF token, so the token
 * itself is never kept by the page.
 * @param {{ onLogin: (s: import("../api.js").Session) => void }} p
 */
export function LoginView({ onLogin }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  /** @param {Event} e */
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const session = await login(token.trim());
      setToken("");
      onLogin(session);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return html`
    <main class="login">
      <h1>Airbag</h1>
      <form onSubmit=${submit} aria-label="Sign in">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required
          value=${token} onInput=${(/** @type {any} */ e) => setToken(e.currentTarget.value)} />
        <button type="submit" disabled=${busy || !token.trim()}>Sign in</button>
        ${error && html`<p class="error" role="alert">${error}</p>`}
      </form>
    </main>
  `;
}
