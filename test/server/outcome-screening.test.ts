// POST /v1/calls/{id}/outcome screens the result a caller ran itself, as a call run in Warden is screened
// (secrets.results): the caller hands on what comes back, and the ledger records what was decided.
import { describe, expect, it, vi } from "vitest";
import type { Warden } from "../../src/index.js";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "./api-client.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";
const CTX_TOKEN = "ctx-7f3a9c1e5b2d8f40";
const IDENTITY = { agent: "report-bot", onBehalfOf: "alice@example.com", intent: "q3 report" };

async function serve(results?: "redact" | "block") {
  const { warden } = await openWarden(
    {
      default: "allow",
      ...(results
        ? {
            secrets: {
              results,
              items: {
                ctx_token: {
                  provider: "env",
                  variable: "CTX_TOKEN",
                  tools: ["lookup"],
                  inject: { context: "token" },
                },
              },
            },
          }
        : {}),
    },
    { env: { CTX_TOKEN } },
  );
  const server = await startServer(warden, { port: 0 });
  onCleanup(() => server.close());
  const { token } = await createToken(warden.ledger.store, { role: "agent", agent: IDENTITY.agent });
  const api = apiClient(() => server.url);
  const session = String((await api("POST", "/v1/sessions", token, IDENTITY)).body.id);
  /** Decides `tool`, then reports `outcome` as a caller that ran it would. */
  const report = async (tool: string, outcome: Record<string, unknown>) => {
    const decided = await api("POST", "/v1/decisions", token, { session, tool, args: {} });
    expect(decided.body.decision).toBe("allow");
    const callId = String(decided.body.callId);
    const answer = await api("POST", `/v1/calls/${callId}/outcome`, token, outcome);
    const [record] = await warden.ledger.store.query({ callId, kinds: ["call.outcome"] });
    return { answer, record };
  };
  return { warden, session, report };
}

/** A call in the same session that leases the context secret in this process (the session now holds it). */
async function leaseInSession(warden: Warden, session: string): Promise<void> {
  const resumed = await warden.resume(session);
  await resumed.guardWithContext("lookup", async (_a: object, ctx) => ctx.secrets.token?.length ?? 0)({});
}

describe("POST /v1/calls/{id}/outcome screens the reported result", () => {
  it("gives back the result with credentials masked under results: redact", async () => {
    const { report } = await serve("redact");
    const { answer, record } = await report("fetch", { status: "ok", result: { text: `key ${KEY}` } });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe("ok");
    expect(JSON.stringify(answer.body.result)).not.toContain(KEY);
    expect(record?.data).toMatchObject({ status: "ok" });
    expect(JSON.stringify(record)).not.toContain(KEY);
  });

  it("masks a value the session leased, as [secret:NAME]", async () => {
    const { warden, session, report } = await serve("redact");
    await leaseInSession(warden, session);
    const { answer } = await report("fetch", { status: "ok", result: `token is ${CTX_TOKEN}` });
    expect(answer.body).toEqual({ status: "ok", result: "token is [secret:ctx_token]" });
  });

  it("withholds a result holding a credential under results: block, and records RESULT_WITHHELD", async () => {
    const { report } = await serve("block");
    const { answer, record } = await report("fetch", { status: "ok", result: `key ${KEY}` });
    expect(answer.body).toMatchObject({ status: "withheld", error: { code: "RESULT_WITHHELD" } });
    expect(JSON.stringify(answer.body)).not.toContain(KEY);
    expect(record?.data).toMatchObject({ status: "error", error: { code: "RESULT_WITHHELD" }, result: null });
  });

  it("does not echo a result that screening left unchanged, nor one with nothing to screen", async () => {
    const screened = await serve("redact");
    const clean = await screened.report("fetch", { status: "ok", result: { rows: 3 } });
    expect(clean.answer.body).toEqual({ status: "ok" });
    const plain = await serve();
    const unscreened = await plain.report("fetch", { status: "ok", result: `key ${KEY}` });
    expect(unscreened.answer.body).toEqual({ status: "ok" });
  });

  it("withholds a result the caller could not send once the session holds a secret", async () => {
    const { warden, session, report } = await serve("redact");
    const before = await report("fetch", { status: "ok", resultUnsent: true });
    expect(before.answer.body).toEqual({ status: "ok" });
    await leaseInSession(warden, session);
    const after = await report("fetch", { status: "ok", resultUnsent: true });
    expect(after.answer.body).toMatchObject({ status: "withheld", error: { code: "RESULT_WITHHELD" } });
    expect(after.record?.data).toMatchObject({ status: "error", error: { code: "RESULT_WITHHELD" } });
  });

  it("withholds a result the caller could not send under results: block, and refuses a sent one marked unsent", async () => {
    const { report } = await serve("block");
    const unsent = await report("fetch", { status: "ok", resultUnsent: true });
    expect(unsent.answer.body).toMatchObject({ status: "withheld", error: { code: "RESULT_WITHHELD" } });
    const both = await report("fetch", { status: "ok", result: "x", resultUnsent: true });
    expect(both.answer.status).toBe(400);
  });

  it("withholds a result reported after its session ended, once the session had leased secrets", async () => {
    const { warden, session } = await serve("redact");
    await leaseInSession(warden, session);
    const resumed = await warden.resume(session);
    const decided = await resumed.check("fetch", {});
    await resumed.end();
    // Its values are dropped once its leases are revoked: nothing is left to screen the result against.
    await vi.waitFor(() => expect(warden.secrets?.redactor.size(session)).toBe(0));
    const reported = await resumed.recordOutcome(decided.callId, {
      status: "ok",
      result: `token is ${CTX_TOKEN}`,
    });
    expect(reported).toMatchObject({ status: "withheld", error: { code: "RESULT_WITHHELD" } });
    const [record] = await warden.ledger.store.query({ callId: decided.callId, kinds: ["call.outcome"] });
    expect(record?.data).toMatchObject({ status: "error", error: { code: "RESULT_WITHHELD" } });
  });

  it("records an error as reported and gives nothing back", async () => {
    const { report } = await serve("block");
    const { answer, record } = await report("fetch", { status: "error", error: { code: "Timeout" } });
    expect(answer.body).toEqual({ status: "error" });
    expect(record?.data).toMatchObject({ status: "error", error: { code: "Timeout" } });
  });
});

describe("an outcome is written once", () => {
  it("refuses a second report of one call while the first is being written (CALL_ID_CONFLICT)", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const session = await warden.session(IDENTITY);
    const decided = await session.check("fetch", {});
    // Both in one tick: the second must not read the call back from a ledger the first has not reached.
    const reports = await Promise.allSettled([
      session.recordOutcome(decided.callId, { status: "ok", result: 1 }),
      session.recordOutcome(decided.callId, { status: "ok", result: 2 }),
    ]);
    expect(reports.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = reports.find((r) => r.status === "rejected");
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: "CALL_ID_CONFLICT" });
    const outcomes = await warden.ledger.store.query({ callId: decided.callId, kinds: ["call.outcome"] });
    expect(outcomes).toHaveLength(1);
    // Once written, a later report reads the outcome back from the ledger and is refused the same way.
    await expect(session.recordOutcome(decided.callId, { status: "ok", result: 3 })).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
  });
});
