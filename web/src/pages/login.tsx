// Login with the company's identity provider (when configured) or a Warden token (approver, auditor or admin).
import { useState } from "preact/hooks";
import { login } from "../api.js";
import { ErrorBox } from "../components/common.js";
import { SignOnLogin } from "../components/sign-on.js";
import type { Me } from "../types.js";

export function LoginPage(props: { onLogin: (me: Me) => void }) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onLogin(await login(token.trim()));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="login">
      <h1>Warden</h1>
      <SignOnLogin />
      <p class="muted">
        Sign in with a token from <span class="mono">warden token create</span>.
      </p>
      <form onSubmit={submit}>
        <label>
          Token
          <input
            type="password"
            name="token"
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            placeholder="wdn_…"
          />
        </label>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy || !token.trim()}>
          Sign in
        </button>
      </form>
    </section>
  );
}
