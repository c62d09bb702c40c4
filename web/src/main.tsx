// The dashboard shell: who is signed in, the navigation, and which page the path shows.
import { type JSX, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { currentUser, describeError, logout, onUnauthorized } from "./api.js";
import { Link } from "./components/common.js";
import { connectLive, disconnectLive, useLiveState } from "./live.js";
import { AgentDetailPage, AgentsPage } from "./pages/agents.js";
import { ApprovalDetailPage } from "./pages/approval-detail.js";
import { ApprovalsPage } from "./pages/approvals.js";
import { CallPage } from "./pages/call.js";
import { FeedPage } from "./pages/feed.js";
import { IntegrityPage } from "./pages/integrity.js";
import { LoginPage } from "./pages/login.js";
import { SessionDetailPage, SessionsPage } from "./pages/sessions.js";
import { match, navigate, useLocation } from "./router.js";
import type { Me, Role } from "./types.js";

const EVERYONE: readonly Role[] = ["approver", "auditor", "admin"];
/** Pages and who may read them (the server enforces it; this only hides links that would say FORBIDDEN). */
const NAV: { href: string; label: string; roles: readonly Role[] }[] = [
  { href: "/feed", label: "Live feed", roles: EVERYONE },
  { href: "/approvals", label: "Approvals", roles: EVERYONE },
  { href: "/sessions", label: "Sessions", roles: ["auditor", "admin"] },
  { href: "/agents", label: "Agents", roles: EVERYONE },
  { href: "/integrity", label: "Integrity", roles: EVERYONE },
];

/** The page "/" shows for a role. */
function home(role: Role): string {
  return role === "approver" ? "/approvals" : "/feed";
}

/** Pages with a parameter, matched in order; the key remounts a page when its parameter changes. */
const PARAM_ROUTES: [string, (p: Record<string, string>, me: Me) => JSX.Element][] = [
  ["/approvals/:id", (p, me) => <ApprovalDetailPage key={p.id} id={p.id ?? ""} me={me} />],
  ["/sessions/:id", (p) => <SessionDetailPage key={p.id} id={p.id ?? ""} />],
  ["/agents/:name", (p) => <AgentDetailPage key={p.name} name={p.name ?? ""} />],
  ["/calls/:id", (p) => <CallPage key={p.id} id={p.id ?? ""} />],
];

function Page(props: { path: string; me: Me }) {
  const { path, me } = props;
  // An approver's work is the queue: that is where they land.
  if (path === "/") return me.role === "approver" ? <ApprovalsPage /> : <FeedPage />;
  if (path === "/feed") return <FeedPage />;
  if (path === "/approvals") return <ApprovalsPage />;
  if (path === "/sessions") return <SessionsPage />;
  if (path === "/agents") return <AgentsPage />;
  if (path === "/integrity") return <IntegrityPage me={me} />;
  for (const [pattern, page] of PARAM_ROUTES) {
    const params = match(pattern, path);
    if (params) return page(params, me);
  }
  return <p class="empty">No such page.</p>;
}

function LiveBadge() {
  const state = useLiveState();
  return (
    <span class={`live ${state}`} title="updates from the ledger as they are written" data-testid="live">
      {state === "live" ? "live" : state === "connecting" ? "reconnecting…" : "offline"}
    </span>
  );
}

function App() {
  const { path, query } = useLocation();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    currentUser()
      .then(setMe)
      .catch((e: unknown) => setError(e));
    return onUnauthorized(() => {
      disconnectLive();
      setMe(null);
    });
  }, []);

  useEffect(() => {
    if (me) connectLive();
    // Signed out: remember where the user was going (e.g. an approval link from a webhook).
    if (me === null && path !== "/login")
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    if (me && path === "/login") {
      const next = query.get("next");
      // Only a path of this site: "//host" or "/\host" would name another origin.
      navigate(next && /^\/(?![/\\])/.test(next) ? next : "/", true);
    }
  }, [me, path, query]);

  if (error) return <p class="error">Cannot reach Warden: {describeError(error)}</p>;
  if (me === undefined) return <p class="muted pad">Loading…</p>;
  if (me === null) return <LoginPage onLogin={setMe} />;
  return (
    <>
      <header class="top">
        <span class="brand">Warden</span>
        <nav>
          {NAV.filter((n) => n.roles.includes(me.role)).map((n) => (
            <Link
              key={n.href}
              href={n.href}
              class={
                path === n.href || path.startsWith(`${n.href}/`) || (n.href === home(me.role) && path === "/")
                  ? "active"
                  : ""
              }
            >
              {n.label}
            </Link>
          ))}
        </nav>
        <span class="who">
          <LiveBadge />
          <span data-testid="whoami">
            {me.name} <span class="muted">({me.role})</span>
          </span>
          <button
            type="button"
            class="link"
            onClick={async () => {
              const providerLogout = await logout();
              disconnectLive();
              // A single sign-on also ends at the provider, which sends the browser back to /login.
              if (providerLogout) location.assign(providerLogout);
              else setMe(null);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main>
        <Page path={path} me={me} />
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
