// The app factory every listener is built from: the site check in every app, per-route authentication
// and roles, each route registered once, and unexpected errors that say nothing of their cause.
import { describe, expect, it } from "vitest";
import { WardenError } from "../../src/errors.js";
import {
  type AuthEnv,
  authenticate,
  bearerToken,
  createApp,
  createHttpApp,
  createToken,
  Metrics,
  requireRole,
  TokenCache,
} from "../../src/server/index.js";
import { onCleanup, openWarden, PLAIN_POLICY } from "../helpers.js";

async function serviceApp() {
  const { warden } = await openWarden(PLAIN_POLICY);
  const metrics = new Metrics(warden.ledger);
  onCleanup(() => metrics.close());
  return { warden, app: createApp(warden, metrics) };
}

describe("the site check in the app factory", () => {
  it("applies to an app built and called in process, unknown paths included", async () => {
    const { app } = await serviceApp();
    expect((await app.request("/healthz")).status).toBe(200);
    const rebound = await app.request("http://evil.example/healthz");
    expect(rebound.status).toBe(403);
    expect(((await rebound.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    expect((await app.request("/no/such/path", { headers: { host: "evil.example" } })).status).toBe(403);
    expect((await app.request("/metrics", { headers: { origin: "http://evil.example" } })).status).toBe(403);
    expect((await app.request("/healthz", { headers: { origin: "http://localhost:5173" } })).status).toBe(
      200,
    );
  });

  it("takes a network listener's host names and still refuses foreign origins", async () => {
    const app = createHttpApp({ listenHost: "0.0.0.0" });
    app.get("/x", (c) => c.text("ok"));
    expect((await app.request("http://warden.internal:8787/x")).status).toBe(200);
    const foreign = await app.request("http://warden.internal:8787/x", {
      headers: { origin: "http://evil.example" },
    });
    expect(foreign.status).toBe(403);
  });
});

describe("the service's routes", () => {
  /** Each route once: a method and path with its handlers, which hono lists one entry per handler. */
  function routesOf(app: { routes: { method: string; path: string }[] }) {
    const groups: string[] = [];
    for (const r of app.routes) {
      if (r.method === "ALL") continue;
      const key = `${r.method} ${r.path}`;
      if (groups.at(-1) !== key) groups.push(key);
    }
    return groups;
  }

  it("registers no method and path twice", async () => {
    const { app } = await serviceApp();
    const routes = routesOf(app);
    expect(routes).toContain("POST /v1/approvals/:id/decision");
    expect(routes.length).toBe(new Set(routes).size);
  });

  it("refuses every /v1 route without a credential, and with a bad one", async () => {
    const { app } = await serviceApp();
    const v1 = routesOf(app).filter((r) => r.includes(" /v1/"));
    expect(v1.length).toBeGreaterThanOrEqual(18);
    for (const route of v1) {
      const [method, path] = route.split(" ") as [string, string];
      const url = path.replace(/:[a-z]+/g, "x");
      const init = {
        method,
        headers: { "content-type": "application/json" },
        body: method === "GET" ? undefined : "{}",
      };
      const none = await app.request(url, init);
      expect(none.status, route).toBe(401);
      expect(none.headers.get("www-authenticate"), route).toBe('Bearer realm="warden"');
      const bad = await app.request(url, {
        ...init,
        headers: { ...init.headers, authorization: "Bearer wdn_x" },
      });
      expect(bad.status, route).toBe(401);
    }
  });

  it("checks the role in each route's chain", async () => {
    const { warden, app } = await serviceApp();
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "bot" });
    const res = await app.request("/v1/ledger", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });
});

describe("requireRole and errors", () => {
  it("refuses a chain that names roles but authenticates nobody, and lets a good principal through", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const app = createHttpApp<AuthEnv>({ listenHost: "127.0.0.1" });
    app.get("/open", requireRole("admin"), (c) => c.text("reached"));
    const authenticated = authenticate([bearerToken(new TokenCache(warden.ledger.store))]);
    app.get("/closed", authenticated, requireRole("admin"), (c) => c.text(c.var.principal.id));
    expect((await app.request("/open")).status).toBe(401);
    const admin = await createToken(warden.ledger.store, { role: "admin" });
    const res = await app.request("/closed", { headers: { authorization: `Bearer ${admin.token}` } });
    expect(await res.text()).toBe(admin.id);
  });

  it("says nothing of an unexpected error, and what a Warden error says", async () => {
    const app = createHttpApp({ listenHost: "127.0.0.1" });
    app.get("/boom", () => {
      throw new Error("database said: password marker-7f3a rejected");
    });
    app.get("/known", () => {
      throw new WardenError("CALL_NOT_FOUND", "no call c1");
    });
    const boom = await app.request("/boom");
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toContain("marker-7f3a");
    expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
    const known = await app.request("/known");
    expect(known.status).toBe(404);
    expect(await known.json()).toEqual({ error: { code: "CALL_NOT_FOUND", message: "no call c1" } });
  });
});
