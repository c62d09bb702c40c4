// The single sign-on part of the login page: a link to the identity provider, and why the last try failed.
import { useEffect, useState } from "preact/hooks";
import { signOnEnabled } from "../api.js";

/** What each code the callback sends back means to the person at the login page. */
const WHY: Record<string, string> = {
  SSO_FAILED:
    "The sign-in could not be completed (it may have expired or been used already). Please sign in again.",
  FORBIDDEN: "Your account is in no group that may use Warden. Ask an administrator for access.",
  TOKEN_INVALID: "The identity provider's answer did not verify. Please sign in again.",
  PROVIDER_UNAVAILABLE: "The identity provider cannot be reached right now.",
};

export function SignOnLogin() {
  const [enabled, setEnabled] = useState(false);
  useEffect(() => {
    void signOnEnabled().then(setEnabled);
  }, []);
  const query = new URLSearchParams(location.search);
  const failed = query.get("sso_error");
  const next = query.get("next") ?? "/";
  return (
    <div class="sign-on">
      {failed !== null && (
        <p class="error" role="alert" data-testid="sso-error" data-code={failed}>
          {WHY[failed] ?? "The sign-in failed."}
        </p>
      )}
      {enabled && (
        <a
          class="button primary"
          href={`/ui/sso/login?next=${encodeURIComponent(next)}`}
          data-testid="sso-login"
        >
          Sign in with your company account
        </a>
      )}
    </div>
  );
}
