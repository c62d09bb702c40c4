// The dashboard shell: who is signed in, the navigation, and which page the path shows.
import { type JSX, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { canOpen, setRole } from "./access.js";
import { currentUser, describeError, logout, onUnauthorized } from "./api.js";
import { Link } from "./components/common.js";
import { connectLive, disconnectLive, useLiveState } from "./live.js";
import { AgentDetailPage, AgentsPage } from "./pages/agents.js";
import { AlertsPage } from "./pages/alerts.js";
import { ApprovalDetailPage } from "./pages/approval-detail.js";
import { ApprovalsPage } from "./pages/approvals.js";
import { CallPage } from "./pages/call.js";
import { FeedPage } from "./pages/feed.js";
import { IntegrityPage } from "./pages/integrity.js";
import { LedgerPage } from "./pages/ledger.js";
import { LoginPage } from "./pages/login.js";
import { SessionDetailPage, SessionsPage } from "./pages/sessions.js";
import { match, navigate, useLocation } from "./router.js";
import type { Me, Role } from "./types.js";

/** The navigation; each entry shows only to roles that may open it (access.ts). */
const NAV: { href: string; label: string }[] = [
  { href: "/feed", label: "Live feed" },
  { href: "/approvals", label: "Approvals" },
  { href: "/alerts", label: "Alerts" },
  { href: "/ledger", label: "Ledger" },
  { href: "/sessions", label: "Sessions" },
  { href: "/agents", label: "Agents" },
  { href: "/integrity", label: "Integrity" },
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

/** A direct URL to a page the role may not open: said plainly, instead of the API's refusal. */
function ForbiddenPage(props: { me: Me }) {
  return (
    <section data-testid="forbidden-page">
      <h1>Not available to your role</h1>
      <p class="note">
        Your role ({props.me.role}) cannot see this page. Ask an administrator if you need it, or go back to
        the <Link href="/approvals">Approvals</Link>.
      </p>
    </section>
  );
}

function Page(props: { path: string; me: Me }) {
  const { path, me } = props;
  if (!canOpen(path, me.role)) return <ForbiddenPage me={me} />;
  // An approver's work is the queue: that is where they land.
  if (path === "/") return me.role === "approver" ? <ApprovalsPage /> : <FeedPage />;
  if (path === "/feed") return <FeedPage />;
  if (path === "/alerts") return <AlertsPage />;
  if (path === "/ledger") return <LedgerPage />;
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

  // Links ask access.ts whether to be links: it must know the role before anything renders.
  setRole(me ? me.role : null);
  if (error) return <p class="error">Cannot reach Warden: {describeError(error)}</p>;
  if (me === undefined) return <p class="muted pad">Loading…</p>;
  if (me === null) return <LoginPage onLogin={setMe} />;
  return (
    <>
      <header class="top">
        <span class="brand">Warden</span>
        <nav>
          {NAV.filter((n) => canOpen(n.href, me.role)).map((n) => (
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
