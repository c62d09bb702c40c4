// Bodies are checked where they arrive: text that is not valid Unicode, or a duration no record can hold,
// gets INVALID_REQUEST from the route, not a failed ledger write with an internal field path.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "./api-client.js";

const IDENTITY = { agent: "bot", onBehalfOf: "alice@example.com", intent: "x" };

/** `warden start`'s HTTP service on a fresh ledger, an agent token and a session of it. */
async function serving() {
  const { warden } = await openWarden({ default: "allow" });
  const server = await startServer(warden, { port: 0 });
  onCleanup(() => server.close());
  const { token } = await createToken(warden.ledger.store, { role: "agent", agent: IDENTITY.agent });
  const api = apiClient(() => server.url);
  const session = String((await api("POST", "/v1/sessions", token, IDENTITY)).body.id);
  /** A decision request with `body` as its raw text. */
  const post = (body: string) =>
    fetch(`${server.url}/v1/decisions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    });
  return { warden, server, token, api, session, post };
}

describe("request bodies", () => {
  it("refuse a lone surrogate or an unrecordable duration at the route", async () => {
    const { token, api, session } = await serving();
    const decided = await api("POST", "/v1/decisions", token, { session, tool: "t", args: {} });
    const callId = String(decided.body.callId);
    const refused = [
      await api("POST", `/v1/calls/${callId}/outcome`, token, { status: "ok", durationMs: 1e308 }),
      await api("POST", `/v1/calls/${callId}/outcome`, token, { status: "error", error: { code: "\ud800" } }),
      await api("POST", `/v1/sessions/${session}/end`, token, { reason: "bye \ud800" }),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: { code: "INVALID_REQUEST" } });
    }
    // Nothing was half done: the call still takes its outcome, the session still ends.
    expect(
      (await api("POST", `/v1/calls/${callId}/outcome`, token, { status: "ok", durationMs: 5 })).status,
    ).toBe(200);
    expect((await api("POST", `/v1/sessions/${session}/end`, token, { reason: "done" })).status).toBe(200);
  });

  it("record a session's end reason with its controls and invisible characters escaped", async () => {
    const { warden, token, api, session } = await serving();
    const ended = await api("POST", `/v1/sessions/${session}/end`, token, {
      reason: "done\n2026-12-05 session.end reason=ok\u001b[2J\u202e",
    });
    expect(ended.status).toBe(200);
    const shown = "done\\u000a2026-12-05 session.end reason=ok\\u001b[2J\\u202e";
    expect(ended.body.reason).toBe(shown);
    const [record] = await warden.ledger.store.query({ kinds: ["session.end"] });
    expect(record?.data.reason).toBe(shown);
  });

  it("refuse a body labelled with a charset other than UTF-8, or compressed, and record nothing", async () => {
    const { warden, server, token, session } = await serving();
    const send = (headers: Record<string, string>, body: Uint8Array | string) =>
      fetch(`${server.url}/v1/decisions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, ...headers },
        body,
      });
    // "Ã©" in ISO-8859-1 is the two bytes UTF-8 reads as "é": read as UTF-8, another text than was sent.
    const latin1 = Buffer.from(`{"session":"${session}","tool":"t","args":{"to":"Ã©"}}`, "latin1");
    const labelled = await send({ "content-type": "application/json; charset=iso-8859-1" }, latin1);
    expect(labelled.status).toBe(400);
    expect(await labelled.json()).toMatchObject({
      error: { code: "INVALID_REQUEST", message: expect.stringContaining("UTF-8") },
    });
    const json = `{"session":"${session}","tool":"t","args":{}}`;
    const zipped = await send(
      { "content-type": "application/json", "content-encoding": "gzip" },
      gzipSync(json),
    );
    expect(zipped.status).toBe(400);
    expect(await zipped.json()).toMatchObject({
      error: { code: "INVALID_REQUEST", message: expect.stringContaining("content-encoding") },
    });
    expect(await warden.ledger.store.query({ kinds: ["call.intent"] })).toEqual([]);
    // UTF-8, said or not, in any spelling, is read.
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      'application/json;charset="UTF-8"',
    ]) {
      expect((await send({ "content-type": type }, json)).status).toBe(200);
    }
  });

  it("refuse a key named twice in one object, which another parser could read the other way", async () => {
    const { warden, session, post } = await serving();
    for (const body of [
      `{"session":"${session}","tool":"t","args":{"id":1},"args":{"id":2}}`,
      `{"session":"${session}","tool":"t","args":{"to":"a@example.com","\u0074o":"b@example.com"}}`,
      `{"session":"${session}","tool":"t","tool":"u","args":{}}`,
    ]) {
      const answer = await post(body);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ error: { code: "INVALID_REQUEST" } });
    }
    expect(await warden.ledger.store.query({ kinds: ["call.intent"] })).toEqual([]);
    // The same key in sibling objects, and as a value, is fine.
    const fine = await post(
      `{"session":"${session}","tool":"t","args":{"a":{"id":1},"b":{"id":1},"c":"id"}}`,
    );
    expect(fine.status).toBe(200);
  });

  it("refuse an integer beyond ±(2^53−1), which JSON.parse rounds and an exact reader does not", async () => {
    const { warden, session, post } = await serving();
    // A Python agent sends 9007199254740993 and runs with it; Warden would decide and record ...992.
    for (const amount of ["9007199254740993", "-9007199254740993", "123456789012345678901234567890"]) {
      const answer = await post(`{"session":"${session}","tool":"pay","args":{"amount":${amount}}}`);
      expect(answer.status).toBe(400);
      const text = await answer.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: "INVALID_REQUEST" } });
      // The number is not quoted back: it may be an account number.
      expect(text).not.toContain(amount.slice(1, 12));
    }
    expect(await warden.ledger.store.query({ kinds: ["call.intent"] })).toEqual([]);
    // The largest exact integers, decimals, exponents and digits in strings are fine.
    const fine = await post(
      `{"session":"${session}","tool":"pay","args":{"a":9007199254740991,"b":-9007199254740991,"c":1.2345678901234567,"d":1e300,"e":"9007199254740993","f":"q\\"9007199254740993"}}`,
    );
    expect(fine.status).toBe(200);
  });
});
