// Only the one who runs a call reports its outcome: a call Warden runs itself (run, guard, MCP, a sandboxed
// command, runChecked) gets its outcome record from its own pipeline, never from a report over HTTP or the
// library, even while it is still running; a call checked over HTTP is reported over HTTP, one checked in
// the library through the library. Otherwise an agent could write the record of what its own call returned.
import { describe, expect, it } from "vitest";
import { digestJson } from "../../src/digest.js";
import { Warden } from "../../src/index.js";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "./api-client.js";

const IDENTITY = { agent: "report-bot", onBehalfOf: "alice@example.com", intent: "q3 report" };
const POLICY = { default: "allow" as const };

async function serve(policy: typeof POLICY = POLICY) {
  const opened = await openWarden(policy);
  const { warden } = opened;
  const server = await startServer(warden, { port: 0 });
  onCleanup(() => server.close());
  const { token } = await createToken(warden.ledger.store, { role: "agent", agent: IDENTITY.agent });
  const admin = (await createToken(warden.ledger.store, { role: "admin", name: "ops" })).token;
  const api = apiClient(() => server.url);
  const reportOverHttp = (callId: string, as = token) =>
    api("POST", `/v1/calls/${callId}/outcome`, as, { status: "ok", result: "forged" });
  return { ...opened, api, token, admin, reportOverHttp };
}

/** A tool that runs until `finish` is called: the window in which a forged outcome would be written. */
function heldTool() {
  let finish = (_value: string) => {};
  let started = (_callId: string) => {};
  const startedCall = new Promise<string>((resolve) => {
    started = resolve;
  });
  const body = (callId: string) =>
    new Promise<string>((resolve) => {
      finish = resolve;
      started(callId);
    });
  return { body, startedCall, finish: (value: string) => finish(value) };
}

async function outcomesOf(warden: Warden, callId: string) {
  return warden.ledger.store.query({ callId, kinds: ["call.outcome"] });
}

describe("only the one who runs a call reports its outcome", () => {
  it("refuses a report over HTTP, by the agent or an admin, for a call Warden is running; the run's own outcome is recorded", async () => {
    const { warden, token, admin, reportOverHttp } = await serve();
    const session = await warden.session(IDENTITY);
    const tool = heldTool();
    const running = session.guardWithContext("lookup", (_a: object, ctx) => tool.body(ctx.callId))({});
    const callId = await tool.startedCall;

    for (const as of [token, admin]) {
      const answer = await reportOverHttp(callId, as);
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ error: { code: "CALL_ID_CONFLICT" } });
    }
    await expect(session.recordOutcome(callId, { status: "ok", result: "forged" })).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });

    tool.finish("real");
    expect(await running).toBe("real");
    const records = await outcomesOf(warden, callId);
    expect(records).toHaveLength(1);
    expect(records[0]?.data).toMatchObject({ status: "ok" });
    expect(records[0]?.data.result).toEqual(digestJson("real"));
  });

  it("refuses a report for a call runChecked is running, though check() allowed reporting it", async () => {
    const { warden } = await serve();
    const session = await warden.session(IDENTITY);
    const decision = await session.check("lookup", {});
    const tool = heldTool();
    const running = session.runChecked(decision, {}, () => tool.body(decision.callId));
    await tool.startedCall;
    await expect(
      session.recordOutcome(decision.callId, { status: "ok", result: "forged" }),
    ).rejects.toMatchObject({ code: "CALL_ID_CONFLICT" });
    tool.finish("real");
    expect(await running).toBe("real");
    expect(await outcomesOf(warden, decision.callId)).toHaveLength(1);
  });

  it("takes a library check()'s outcome from the library only, an HTTP check's over HTTP only", async () => {
    const { warden, api, token, reportOverHttp } = await serve();
    const session = await warden.session(IDENTITY);

    const checked = await session.check("lookup", {});
    expect((await reportOverHttp(checked.callId)).status).toBe(409);
    expect(await session.recordOutcome(checked.callId, { status: "ok", result: 1 })).toEqual({
      status: "ok",
      result: 1,
    });

    const overHttp = await api("POST", "/v1/decisions", token, {
      session: session.id,
      tool: "lookup",
      args: {},
    });
    const callId = String(overHttp.body.callId);
    await expect(session.recordOutcome(callId, { status: "ok", result: 1 })).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    const answer = await reportOverHttp(callId);
    expect(answer.status).toBe(200);
    expect(await outcomesOf(warden, callId)).toHaveLength(1);
  });

  it("refuses a report, after a restart, for a call Warden ran and could not record (read from the ledger)", async () => {
    const { warden, db } = await serve();
    const session = await warden.session(IDENTITY);
    const tool = heldTool();
    void session
      .guardWithContext("lookup", (_a: object, ctx) => tool.body(ctx.callId))({})
      .catch(() => undefined);
    const callId = await tool.startedCall;
    // Another process on the same ledger (as after a restart): only the ledger tells it who ran the call.
    const other = await Warden.open({ policy: POLICY, db });
    onCleanup(() => other.close());
    const server = await startServer(other, { port: 0 });
    onCleanup(() => server.close());
    const { token } = await createToken(other.ledger.store, { role: "agent", agent: IDENTITY.agent });
    const answer = await apiClient(() => server.url)("POST", `/v1/calls/${callId}/outcome`, token, {
      status: "ok",
      result: "forged",
    });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ error: { code: "CALL_ID_CONFLICT" } });
    tool.finish("real");
  });
});
