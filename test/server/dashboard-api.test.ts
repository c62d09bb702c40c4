// The dashboard's server side: login sessions, CSRF, security headers, live events, agents, integrity.
import { request } from "node:http";
import Database from "better-sqlite3";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { buildWeb } from "../../scripts/build-web.mjs";
import { Warden } from "../../src/index.js";
import { CLIENT_BUFFER, CLIENT_BUFFER_BYTES, eventStream, RecordFeed } from "../../src/server/events.js";
import { createApp, createToken, Metrics, type RunningServer, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";

const POLICY = {
  agents: {
    "support-bot": {
      team: "support",
      developer: "dana@example.com",
      description: "Answers customer tickets",
      tools: ["read_ticket", "send_email"],
    },
  },
  rules: [
    { id: "read", tools: ["read_ticket"], decision: "allow" },
    { id: "no-mail", tools: ["send_email"], decision: "deny", reason: "mail is off" },
  ],
};

let warden: Warden;
let db: string;
let server: RunningServer;
let tokens: Record<"agent" | "auditor" | "approver" | "admin", { id: string; token: string }>;

beforeAll(async () => {
  // The pages are served from dist/web; build them so this file does not depend on an earlier build.
  await buildWeb();
});

beforeEach(async () => {
  ({ warden, db } = await openWarden(POLICY));
  server = await startServer(warden, { port: 0 });
  onCleanup(() => server.close());
  const store = warden.ledger.store;
  tokens = {
    agent: await createToken(store, { role: "agent", agent: "support-bot" }),
    auditor: await createToken(store, { role: "auditor", name: "audrey@example.com" }),
    approver: await createToken(store, { role: "approver", name: "ann@example.com" }),
    admin: await createToken(store, { role: "admin" }),
  };
});

afterEach(() => {
  vi.useRealTimers();
});

interface Reply {
  status: number;
  // Parsed JSON, read loosely as the http-api tests do.
  body: ReturnType<typeof JSON.parse>;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  options: { bearer?: string; cookie?: string; csrf?: string; body?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrf) headers["x-warden-csrf"] = options.csrf;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: pages and assets
  }
  return { status: res.status, body, headers: res.headers };
}

async function login(secret: string) {
  const res = await call("POST", "/ui/login", { body: { token: secret } });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0]!;
  return { cookie, csrf: res.body.csrf as string, setCookie, body: res.body };
}

/** A GET on a raw path, not normalized the way fetch normalizes "../". */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("dashboard login", () => {
  it("opens a cookie session with safe flags and answers /ui/me", async () => {
    const { cookie, setCookie, body } = await login(tokens.approver.token);
    expect(body).toMatchObject({ role: "approver", name: "ann@example.com" });
    expect(body.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(setCookie).toMatch(/^warden_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    // Plain http here: Secure would make the browser drop the cookie.
    expect(setCookie).not.toContain("Secure");
    const me = await call("GET", "/ui/me", { cookie });
    expect(me.body).toEqual({ role: "approver", name: "ann@example.com", csrf: body.csrf });
    expect((await call("GET", "/ui/me")).status).toBe(401);
  });

  it("marks the cookie Secure when the request came over https", async () => {
    const metrics = new Metrics(warden.ledger);
    onCleanup(() => metrics.close());
    // Served on a network address: a loopback listener would refuse the host name (the site check).
    const app = createApp(warden, metrics, { host: "0.0.0.0" });
    const res = await app.request("https://warden.example.com/ui/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: tokens.auditor.token }),
    });
    expect(res.status).toBe(200);
    // Host-only by name too: no other host of the site can set a cookie this one would read.
    expect(res.headers.get("set-cookie")).toMatch(
      /^__Host-warden_session=[A-Za-z0-9_-]{43}; Path=\/;.*; Secure/,
    );
  });

  it("marks the cookies Secure behind a proxy that ends TLS, for requests naming the https publicUrl's host", async () => {
    const { warden: proxied } = await openWarden({
      ...POLICY,
      approvals: { publicUrl: "https://warden.corp.example/" },
    });
    const s = await startServer(proxied, { host: "127.0.0.1", port: 0 });
    onCleanup(() => s.close());
    const token = (await createToken(proxied.ledger.store, { role: "approver", name: "ann@example.com" }))
      .token;
    // Plain http from the proxy, as the browser's https request arrives behind it.
    const send = (method: string, path: string, headers: Record<string, string>, body = "") =>
      new Promise<{ status: number; setCookie: string }>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: s.port,
            path,
            method,
            headers: { ...headers, "content-length": Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, setCookie: String(res.headers["set-cookie"] ?? "") }),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const loginAs = async (host: string) =>
      (
        await send(
          "POST",
          "/ui/login",
          { host, "content-type": "application/json" },
          JSON.stringify({ token }),
        )
      ).setCookie;
    const viaProxy = await loginAs("warden.corp.example");
    expect(viaProxy).toMatch(/^__Host-warden_session=[^;]+; Path=\/;.*; Secure/);
    // Reached directly on the loopback address over http: Secure would make the browser drop it.
    const direct = await loginAs(`127.0.0.1:${s.port}`);
    expect(direct).toMatch(/^warden_session=/);
    expect(direct).not.toContain("Secure");

    // A cookie without the prefix, as another host of the site could set for the whole domain, is not
    // read on the https site, even when it names a live session (here the attacker's own login).
    const me = (host: string, cookie: string) => send("GET", "/ui/me", { host, cookie });
    const tossed = direct.split(";")[0]!;
    expect((await me(`127.0.0.1:${s.port}`, tossed)).status).toBe(200);
    expect((await me("warden.corp.example", tossed)).status).toBe(401);
    expect((await me("warden.corp.example", viaProxy.split(";")[0]!)).status).toBe(200);
  });

  it("a second login in the same browser ends the session it replaces", async () => {
    const first = await login(tokens.auditor.token);
    const res = await call("POST", "/ui/login", {
      cookie: first.cookie,
      body: { token: tokens.approver.token },
    });
    expect(res.status).toBe(200);
    const second = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(second).not.toBe(first.cookie);
    // The auditor's session id, kept by anyone who copied it, no longer opens anything.
    expect((await call("GET", "/ui/me", { cookie: first.cookie })).status).toBe(401);
    expect((await call("GET", "/v1/sessions", { cookie: first.cookie })).status).toBe(401);
    expect((await call("GET", "/ui/me", { cookie: second })).body).toMatchObject({ role: "approver" });
  });

  it("names a token without a name by its id", async () => {
    const { body } = await login(tokens.admin.token);
    expect(body).toMatchObject({ role: "admin", name: tokens.admin.id });
  });

  it("refuses agent tokens and unknown tokens", async () => {
    const agent = await call("POST", "/ui/login", { body: { token: tokens.agent.token } });
    expect(agent.status).toBe(403);
    expect(agent.body.error.code).toBe("FORBIDDEN");
    expect(agent.headers.get("set-cookie")).toBeNull();
    const unknown = await call("POST", "/ui/login", { body: { token: `wdn_${"x".repeat(43)}` } });
    expect(unknown.status).toBe(401);
    const malformed = await call("POST", "/ui/login", { body: { token: 42 } });
    expect(malformed.status).toBe(400);
  });

  it("logs out only with the CSRF token", async () => {
    const { cookie, csrf } = await login(tokens.auditor.token);
    expect((await call("POST", "/ui/logout", { cookie })).status).toBe(403);
    expect((await call("POST", "/ui/logout", { cookie, csrf })).status).toBe(204);
    expect((await call("GET", "/v1/integrity", { cookie })).status).toBe(401);
  });

  it("ends the UI session when its token is revoked", async () => {
    const { cookie } = await login(tokens.auditor.token);
    expect((await call("GET", "/v1/sessions", { cookie })).status).toBe(200);
    await warden.ledger.store.revokeToken(tokens.auditor.id, new Date().toISOString());
    // Token lookups are cached for TOKEN_CACHE_MS (5 s); move the clock past it.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 6_000);
    expect((await call("GET", "/v1/sessions", { cookie })).status).toBe(401);
    expect((await call("GET", "/ui/me", { cookie })).status).toBe(401);
  });
});

describe("CSRF on cookie-authenticated writes", () => {
  it("requires x-warden-csrf for cookie POSTs, not for bearer POSTs or cookie GETs", async () => {
    const { cookie, csrf } = await login(tokens.auditor.token);
    const missing = await call("POST", "/v1/integrity/verify", { cookie });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe("CSRF_FAILED");
    // Same length, one character off (never accidentally the right one).
    const other = `${csrf.slice(0, -1)}${csrf.endsWith("A") ? "B" : "A"}`;
    const wrong = await call("POST", "/v1/integrity/verify", { cookie, csrf: other });
    expect(wrong.status).toBe(403);
    const short = await call("POST", "/v1/integrity/verify", { cookie, csrf: "x" });
    expect(short.status).toBe(403);
    expect((await call("POST", "/v1/integrity/verify", { cookie, csrf })).status).toBe(200);
    expect((await call("POST", "/v1/integrity/verify", { bearer: tokens.auditor.token })).status).toBe(200);
    expect((await call("GET", "/v1/integrity", { cookie })).status).toBe(200);
  });

  it("never lets a bad bearer header fall back to the cookie", async () => {
    const { cookie } = await login(tokens.auditor.token);
    const res = await call("GET", "/v1/integrity", { cookie, bearer: "wdn_nope" });
    expect(res.status).toBe(401);
  });
});

describe("dashboard pages", () => {
  it("serves the app on every page route with a strict CSP and no inline code", async () => {
    for (const path of [
      "/",
      "/feed",
      "/approvals",
      "/approvals/apr_1",
      "/agents/support-bot",
      "/integrity",
    ]) {
      const res = await call("GET", path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      // The page loads its code and style from files: nothing inline for the CSP to allow.
      expect(res.body).toContain('src="/assets/app.js"');
      expect(res.body).not.toMatch(/<script>|<style|style="/);
    }
    const js = await call("GET", "/assets/app.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("content-security-policy")).toContain("default-src 'self'");
    const css = await call("GET", "/assets/app.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await call("POST", "/ui/login", { body: { token: "x" } })).headers.get("x-frame-options")).toBe(
      "DENY",
    );
  });

  it("refuses paths outside the built files", async () => {
    for (const path of [
      "/assets/../../package.json",
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e%2f%2e%2e%2fpackage.json",
      "/assets/..%5c..%5cpackage.json",
      "/assets/index.html/..",
      "/assets/",
      "/assets/nope.js",
      "/../package.json",
    ]) {
      const res = await rawGet(path);
      expect(res.status, path).not.toBe(200);
      expect(res.body, path).not.toContain("agent-warden");
    }
  });
});

describe("GET /v1/events", () => {
  /** Reads the SSE stream until `want` matches the text so far (or times out). */
  async function readUntil(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    want: (text: string) => boolean,
    sofar = "",
  ): Promise<string> {
    const decoder = new TextDecoder();
    let text = sofar;
    const deadline = Date.now() + 5_000;
    while (!want(text)) {
      if (Date.now() > deadline) throw new Error(`timed out; got: ${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended; got: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    return text;
  }

  it("streams new records, from this process and from another writer of the same file", async () => {
    const res = await fetch(`${server.url}/v1/events`, {
      headers: { authorization: `Bearer ${tokens.auditor.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    onCleanup(() => reader.cancel());
    let text = await readUntil(reader, (t) => t.includes("event: ready"));
    const session = await warden.session({ agent: "support-bot", onBehalfOf: "alice", intent: "ticket 1" });
    text = await readUntil(reader, (t) => t.includes('"kind":"session.start"'), text);
    const event = text.split("\n\n").find((e) => e.includes('"kind":"session.start"'))!;
    expect(event).toMatch(/^event: record\n/);
    const record = JSON.parse(event.split("\ndata: ")[1]!);
    expect(record).toMatchObject({ kind: "session.start", session: session.id, agent: "support-bot" });

    // A second writer (as the CLI would be) appends to the same SQLite file: found by polling.
    const other = await Warden.open({ policy: POLICY, db });
    onCleanup(() => other.close());
    const canary = await other.createCanary("aws-key", "from another writer");
    text = await readUntil(reader, (t) => t.includes(canary.id), text);
    // Each record once, in seq order.
    const seqs = [...text.matchAll(/^id: main:(\d+)$/gm)].map((m) => Number(m[1]));
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  });

  it("gives an approver, who may not read the ledger, approval records only", async () => {
    const res = await fetch(`${server.url}/v1/events`, {
      headers: { authorization: `Bearer ${tokens.approver.token}` },
    });
    const reader = res.body!.getReader();
    onCleanup(() => reader.cancel());
    let text = await readUntil(reader, (t) => t.includes("event: ready"));
    const session = await warden.session({ agent: "support-bot", onBehalfOf: "alice", intent: "ticket 1" });
    await session.check("read_ticket", { id: 1 });
    const other = await warden.session({ agent: "support-bot", onBehalfOf: "bob", intent: "ticket 2" });
    await other.end();
    const marker = await warden.ledger.append({
      kind: "approval.notify",
      session: null,
      agent: null,
      callId: null,
      data: {
        approvalId: "apr_test",
        webhook: "w",
        attempt: 1,
        status: "delivered",
        httpStatus: 204,
        error: null,
      },
    });
    text = await readUntil(reader, (t) => t.includes(`main:${marker.seq}`), text);
    expect(text).not.toContain('"kind":"session.start"');
    expect(text).not.toContain('"kind":"call.intent"');
  });

  it("drops a client that stops reading instead of buffering without end", async () => {
    const feed = new RecordFeed(warden.ledger, 50);
    const stream = eventStream(feed, { heartbeatMs: 60_000 });
    await feed.ready();
    expect(feed.listeners).toBe(1);
    // Nobody reads while more records arrive than the client's buffer holds.
    const record = { kind: "alert" as const, session: null, agent: null, callId: null, data: { n: 1 } };
    await Promise.all(Array.from({ length: CLIENT_BUFFER + 50 }, () => warden.ledger.append(record)));
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const events = text.split("\n\n").filter((e) => e.startsWith("event: record"));
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(CLIENT_BUFFER + 50);
    expect(feed.listeners).toBe(0);
  });

  it("drops a client that stops reading once large records it has not read pass CLIENT_BUFFER_BYTES", async () => {
    const feed = new RecordFeed(warden.ledger, 50);
    const stream = eventStream(feed, { heartbeatMs: 60_000 });
    await feed.ready();
    // Far fewer than CLIENT_BUFFER records, but together more bytes than the client's buffer holds.
    const pad = "x".repeat(400_000);
    const n = Math.ceil(CLIENT_BUFFER_BYTES / pad.length) + 5;
    const record = { kind: "alert" as const, session: null, agent: null, callId: null, data: { pad } };
    for (let i = 0; i < n; i++) await warden.ledger.append(record);
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const events = text.split("\n\n").filter((e) => e.startsWith("event: record"));
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(n);
    expect(feed.listeners).toBe(0);
  });

  it("closes a stream at the heartbeat once its caller is no longer allowed", async () => {
    const feed = new RecordFeed(warden.ledger, 50);
    let allowed = true;
    const stream = eventStream(feed, { heartbeatMs: 20, stillAllowed: async () => allowed });
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes(": heartbeat")) text += decoder.decode((await reader.read()).value);
    allowed = false;
    for (;;) if ((await reader.read()).done) break;
    expect(feed.listeners).toBe(0);
  });

  it("is closed to agent tokens", async () => {
    expect((await call("GET", "/v1/events", { bearer: tokens.agent.token })).status).toBe(403);
    expect((await call("GET", "/v1/events")).status).toBe(401);
  });
});

describe("GET /v1/agents", () => {
  it("lists the registry with recent activity and denials", async () => {
    const session = await warden.session({ agent: "support-bot", onBehalfOf: "alice", intent: "ticket 1" });
    await session.check("read_ticket", { id: 1 });
    await session.check("send_email", { to: "x" });
    const list = await call("GET", "/v1/agents", { bearer: tokens.auditor.token });
    expect(list.status).toBe(200);
    expect(list.body.agents).toEqual([
      expect.objectContaining({
        name: "support-bot",
        registered: true,
        team: "support",
        developer: "dana@example.com",
        description: "Answers customer tickets",
        activity: expect.objectContaining({ calls: 2, denials: 1 }),
      }),
    ]);
    const one = await call("GET", "/v1/agents/support-bot", { bearer: tokens.auditor.token });
    expect(one.body.ledgerAccess).toBe(true);
    expect(one.body.denials).toEqual([expect.objectContaining({ tool: "send_email", ruleId: "no-mail" })]);
    expect(one.body.recentCalls).toHaveLength(2);
    expect(one.body.sessions).toEqual([expect.objectContaining({ id: session.id })]);
    expect((await call("GET", "/v1/agents/nobody", { bearer: tokens.admin.token })).status).toBe(404);
    expect((await call("GET", "/v1/agents", { bearer: tokens.agent.token })).status).toBe(403);
  });

  it("shows an approver no more than /v1/sessions and /v1/ledger allow it: the profile, no calls or sessions", async () => {
    const session = await warden.session({ agent: "support-bot", onBehalfOf: "alice", intent: "ticket 1" });
    await session.check("send_email", { to: "x" });
    expect((await call("GET", "/v1/sessions", { bearer: tokens.approver.token })).status).toBe(403);
    expect((await call("GET", "/v1/ledger", { bearer: tokens.approver.token })).status).toBe(403);
    const one = await call("GET", "/v1/agents/support-bot", { bearer: tokens.approver.token });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      agent: { name: "support-bot", team: "support" },
      ledgerAccess: false,
      recentCalls: [],
      denials: [],
      sessions: [],
    });
    expect(JSON.stringify(one.body)).not.toContain(session.id);
  });
});

describe("ledger integrity", () => {
  it("verifies the ledger on demand and keeps the last result", async () => {
    const session = await warden.session({ agent: "support-bot", onBehalfOf: "alice", intent: "ticket 1" });
    await session.check("read_ticket", { id: 1 });
    await session.end();
    const before = await call("GET", "/v1/integrity", { bearer: tokens.approver.token });
    expect(before.body.lastVerification).toBeNull();
    expect(before.body.chains).toEqual([
      expect.objectContaining({
        chain: "main",
        checkpoint: expect.objectContaining({ keyId: warden.ledger.keyId }),
      }),
    ]);
    // Approvers read integrity but do not run the verifier.
    expect((await call("POST", "/v1/integrity/verify", { bearer: tokens.approver.token })).status).toBe(403);
    const run = await call("POST", "/v1/integrity/verify", { bearer: tokens.auditor.token });
    expect(run.body.verification).toMatchObject({ ok: true, failure: null, keySource: "beside-ledger" });
    expect(run.body.verification.records).toBeGreaterThanOrEqual(4);
    const after = await call("GET", "/v1/integrity", { bearer: tokens.auditor.token });
    expect(after.body.lastVerification).toEqual(run.body.verification);

    // Someone edits a record in the file behind Warden's back: the next run names it.
    const sql = new Database(db);
    sql.prepare("UPDATE records SET agent = 'someone-else' WHERE seq = 2").run();
    sql.close();
    const tampered = await call("POST", "/v1/integrity/verify", { bearer: tokens.admin.token });
    expect(tampered.body.verification).toMatchObject({
      ok: false,
      failure: { chain: "main", seq: 2, problem: "hash-mismatch" },
    });
    const latest = await call("GET", "/v1/integrity", { bearer: tokens.auditor.token });
    expect(latest.body.lastVerification.ok).toBe(false);
  });
});
