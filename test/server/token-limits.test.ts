// One token cannot stall the service: per-token budgets of requests and body bytes, checked before parsing.
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import type { Socket } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { createApp, createToken, Metrics, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden, PLAIN_POLICY, tempDir } from "../helpers.js";
import { apiClient } from "./api-client.js";
import { busyRequest } from "./raw-connections.js";

/** A POST with a declared length that reads the answer even when the server refuses before reading the body. */
function post(url: string, token: string, body: string) {
  return new Promise<{ status: number; body: string; retryAfter: string | undefined }>((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"];
        resolve({
          status: res.statusCode ?? 0,
          body: text,
          retryAfter: typeof retryAfter === "string" ? retryAfter : undefined,
        });
      });
    });
    req.on("error", (err) => (req.writableEnded ? undefined : reject(err)));
    req.end(body);
  });
}

describe("per-token limits", () => {
  it("refuses a flood of large decisions from one token before parsing them; /healthz and other tokens are answered", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const store = warden.ledger.store;
    const flooder = (await createToken(store, { role: "agent", agent: "flood-bot" })).token;
    const other = (await createToken(store, { role: "agent", agent: "calm-bot" })).token;
    const floodSession = await warden.session({ agent: "flood-bot", onBehalfOf: "u", intent: "flood" });
    const calmSession = await warden.session({ agent: "calm-bot", onBehalfOf: "u", intent: "work" });
    // About 0.9 MB in 60,000 keys: the kind of body that took 0.65 s to parse, hash and record.
    const args: Record<string, number> = {};
    for (let i = 0; i < 60_000; i++) args[`k${i}`] = i;
    const big = JSON.stringify({ session: floodSession.id, tool: "read_database", args });
    expect(big.length).toBeLessThan(1024 * 1024);

    const flood = Array.from({ length: 24 }, () => post(`${server.url}/v1/decisions`, flooder, big));
    const api = apiClient(() => server.url);
    const [health, calm] = await Promise.all([
      api("GET", "/healthz", null),
      api("POST", "/v1/decisions", other, { session: calmSession.id, tool: "read_database", args: { q: 1 } }),
    ]);
    const answers = await Promise.all(flood);
    expect(health).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(calm).toMatchObject({ status: 200, body: { decision: "allow" } });
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    // The 2 MiB byte budget admits two such bodies at once, a few more as it refills; most are refused unread.
    expect(admitted.length).toBeGreaterThanOrEqual(1);
    expect(admitted.length).toBeLessThan(answers.length / 2);
    expect(refused.length).toBe(answers.length - admitted.length);
    for (const r of refused) {
      expect(JSON.parse(r.body).error.code).toBe("RATE_LIMITED");
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    const recorded = await store.query({ session: floodSession.id, kinds: ["call.intent"] });
    expect(recorded).toHaveLength(admitted.length);
  });

  it("charges a body without a declared length once it is read, and refuses the next request", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const metrics = new Metrics(warden.ledger);
    onCleanup(() => metrics.close());
    const app = createApp(warden, metrics, { tokenLimits: { bytesPerSecond: 1, byteBurst: 2_000 } });
    const { token } = await createToken(warden.ledger.store, { role: "admin" });
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "i" });
    const decide = (pad: string) =>
      app.request("/v1/decisions", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ session: session.id, tool: "read_database", args: { pad } }),
      });
    expect((await decide("x".repeat(5_000))).status).toBe(200);
    const next = await decide("");
    expect(next.status).toBe(429);
    expect(next.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("refuses a body no budget could hold as too large (413), not as a wait (429) a client would retry for ever", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const { token } = await createToken(warden.ledger.store, { role: "admin" });
    const huge = await post(`${server.url}/v1/decisions`, token, `{"pad":"${"x".repeat(3 * 1024 * 1024)}"}`);
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(huge.retryAfter).toBeUndefined();
    // Nothing was charged: the token's next request is answered.
    const api = apiClient(() => server.url);
    expect((await api("GET", "/v1/sessions", token)).status).toBe(200);
  });

  it("limits requests per token", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const metrics = new Metrics(warden.ledger);
    onCleanup(() => metrics.close());
    const app = createApp(warden, metrics, { tokenLimits: { requestsPerSecond: 0.001, requestBurst: 3 } });
    const store = warden.ledger.store;
    const [a, b] = [
      (await createToken(store, { role: "auditor" })).token,
      (await createToken(store, { role: "auditor" })).token,
    ];
    const get = (token: string) =>
      app.request("/v1/sessions", { headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await get(a)).status).toBe(200);
    expect((await get(a)).status).toBe(429);
    expect((await get(b)).status).toBe(200);
  });

  it("limits the requests one token has in progress at once; other tokens are answered, and a request that ends frees its place", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const server = await startServer(warden, { port: 0, tokenLimits: { maxInFlight: 3 } });
    onCleanup(() => server.close());
    const store = warden.ledger.store;
    const holder = (await createToken(store, { role: "agent", agent: "slow-bot" })).token;
    const other = (await createToken(store, { role: "agent", agent: "calm-bot" })).token;
    // Three decisions whose bodies never finish arriving: each holds a request in progress.
    const held: Socket[] = [];
    for (let i = 0; i < 3; i++) held.push(await busyRequest(server.port, "/v1/decisions", holder));
    const api = apiClient(() => server.url);
    // Once the three are admitted (their authentication is asynchronous), a fourth is refused.
    await expectRefusedWhileOthersServed(api, holder, other);
    held[0]?.destroy();
    await vi.waitFor(async () => expect((await api("GET", "/v1/calls/c1", holder)).status).toBe(404));
  });

  it("takes the budgets from the policy's server.perToken, and a reload changes them", async () => {
    const file = `${tempDir()}/policy.yaml`;
    const policy = (maxInFlight: number) =>
      `allowed_tools: [read_database]\nserver:\n  perToken: { maxInFlight: ${maxInFlight} }\n`;
    writeFileSync(file, policy(1));
    const { warden } = await openWarden(file);
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const store = warden.ledger.store;
    const holder = (await createToken(store, { role: "agent", agent: "slow-bot" })).token;
    const other = (await createToken(store, { role: "agent", agent: "calm-bot" })).token;
    await busyRequest(server.port, "/v1/decisions", holder);
    const api = apiClient(() => server.url);
    // Once the held one is admitted (its authentication is asynchronous), a second is refused.
    await expectRefusedWhileOthersServed(api, holder, other);
    // A reload that allows two at once: the same second request is answered, the held one still open.
    writeFileSync(file, policy(2));
    expect(await warden.reloadPolicy()).toMatchObject({ ok: true, changed: true });
    expect((await api("GET", "/v1/calls/c1", holder)).status).toBe(404);
  });
});

/** `holder`'s next request gets 429 RATE_LIMITED (its requests in progress are at the cap); `other`'s is answered. */
async function expectRefusedWhileOthersServed(
  api: ReturnType<typeof apiClient>,
  holder: string,
  other: string,
): Promise<void> {
  await vi.waitFor(async () =>
    expect(await api("GET", "/v1/calls/c1", holder)).toMatchObject({
      status: 429,
      body: { error: { code: "RATE_LIMITED" } },
    }),
  );
  expect((await api("GET", "/v1/calls/c1", other)).status).toBe(404);
}
