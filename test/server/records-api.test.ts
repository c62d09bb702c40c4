// The ledger browser's and Alerts page's API: filters, keyset paging, the verified range, roles.
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import type { Session, Warden } from "../../src/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "./api-client.js";

const POLICY = {
  agents: {
    "support-bot": {
      team: "support",
      developer: "dana@example.com",
      description: "Answers tickets",
      tools: ["read_ticket", "send_email", "refund"],
    },
    "billing-bot": {
      team: "billing",
      developer: "bo@example.com",
      description: "Pays invoices",
      tools: ["read_invoice", "refund"],
    },
  },
  intents: { "answer ticket*": ["read_ticket"] },
  detect: { intent: { action: "alert" as const } },
  rules: [
    { id: "read", tools: ["read_ticket", "read_invoice"], decision: "allow" as const },
    { id: "mail", tools: ["send_email"], decision: "allow" as const },
    { id: "no-refund", tools: ["refund"], decision: "deny" as const, reason: "refunds are off" },
  ],
};

let warden: Warden;
let db: string;
let server: RunningServer;
let tokens: Record<"agent" | "auditor" | "approver" | "admin", string>;
let alice: Session;
let bob: Session;
const api = apiClient(() => server.url);

beforeEach(async () => {
  // No timer checkpoints: which records a checkpoint seals is decided by the test (session ends).
  ({ warden, db } = await openWarden(POLICY, { checkpointSeconds: 0 }));
  server = await startServer(warden, { port: 0 });
  onCleanup(() => server.close());
  const store = warden.ledger.store;
  tokens = {
    agent: (await createToken(store, { role: "agent", agent: "support-bot" })).token,
    auditor: (await createToken(store, { role: "auditor", name: "audrey@example.com" })).token,
    approver: (await createToken(store, { role: "approver", name: "ann@example.com" })).token,
    admin: (await createToken(store, { role: "admin" })).token,
  };
  alice = await warden.session({
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "answer ticket 1",
  });
  bob = await warden.session({
    agent: "billing-bot",
    onBehalfOf: "bob@example.com",
    intent: "pay invoice 7",
  });
});

async function seed(): Promise<void> {
  for (let i = 0; i < 3; i++) await alice.check("read_ticket", { id: i }, { callId: `call_a_read_${i}` });
  // Outside the declared intent: the intent detector writes an alert beside the intent record.
  await alice.check("send_email", { to: "x@example.com" }, { callId: "call_a_mail" });
  await bob.check("read_invoice", { id: 7 }, { callId: "call_b_read" });
  await bob.check("refund", { amount: 5 }).catch(() => undefined);
}

describe("GET /v1/records", () => {
  it("filters by agent, user, tool, kind and time", async () => {
    await seed();
    const byAgent = await api("GET", "/v1/records?agent=billing-bot&verify=0", tokens.auditor);
    expect(byAgent.status).toBe(200);
    expect(byAgent.body.records.length).toBeGreaterThan(0);
    expect(new Set(byAgent.body.records.map((r: { agent: string }) => r.agent))).toEqual(
      new Set(["billing-bot"]),
    );

    const byUser = await api("GET", "/v1/records?user=alice%40example.com&kind=call.intent", tokens.auditor);
    expect(byUser.body.records.map((r: { callId: string }) => r.callId)).toEqual([
      "call_a_mail",
      "call_a_read_2",
      "call_a_read_1",
      "call_a_read_0",
    ]);

    const byTool = await api("GET", "/v1/records?tool=read_ticket&kind=call.intent", tokens.admin);
    expect(byTool.body.records).toHaveLength(3);

    const kinds = await api("GET", "/v1/records?kind=session.start,alert", tokens.auditor);
    expect(new Set(kinds.body.records.map((r: { kind: string }) => r.kind))).toEqual(
      new Set(["session.start", "alert"]),
    );

    const all = (await api("GET", "/v1/records?limit=200&verify=0", tokens.auditor)).body.records as {
      ts: string;
    }[];
    const middle = all[Math.floor(all.length / 2)]!.ts;
    const since = (await api("GET", `/v1/records?since=${middle}&limit=200&verify=0`, tokens.auditor)).body
      .records as { ts: string }[];
    const until = (await api("GET", `/v1/records?until=${middle}&limit=200&verify=0`, tokens.auditor)).body
      .records as { ts: string }[];
    expect(since.every((r) => r.ts >= middle)).toBe(true);
    expect(until.every((r) => r.ts < middle)).toBe(true);
    expect(since.length + until.length).toBe(all.length);
  });

  it("pages with a cursor: no record twice, none skipped, even with appends between pages", async () => {
    await seed();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    const before = (await api("GET", "/v1/records?limit=200&verify=0", tokens.auditor)).body.records.length;
    do {
      const res: {
        status: number;
        body: { records: { chain: string; seq: number }[]; next: string | null };
      } = await api(
        "GET",
        `/v1/records?limit=3&verify=0${cursor ? `&cursor=${cursor}` : ""}`,
        tokens.auditor,
      );
      expect(res.status).toBe(200);
      expect(res.body.records.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.records.map((r) => `${r.chain}:${r.seq}`));
      cursor = res.body.next;
      // Newer records arrive while the analyst pages back in time: they must not shift the pages.
      if (pages++ === 0) await alice.check("read_ticket", { id: 99 });
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(before);
    expect(pages).toBe(Math.ceil(before / 3));
  });

  it("shows the verifier's verdict on the page's range: sealed, unsealed, and failed after tampering", async () => {
    await seed();
    // Open sessions: their records follow the last checkpoint.
    const open = await api("GET", "/v1/records?agent=support-bot", tokens.auditor);
    expect(open.body.verification.state).toBe("unsealed");
    expect(open.body.verification.failure).toBeNull();

    await alice.end("done");
    await bob.end("done");
    const sealed = await api("GET", "/v1/records?agent=support-bot", tokens.auditor);
    expect(sealed.body.verification).toMatchObject({ state: "sealed", failure: null, keySource: "given" });
    expect(sealed.body.verification.records).toBeGreaterThanOrEqual(sealed.body.records.length);

    // Rewrite one stored record, as someone with write access to the file would.
    const target = sealed.body.records.find((r: { kind: string }) => r.kind === "call.intent");
    const raw = new Database(db);
    raw
      .prepare("UPDATE records SET data = json_set(data, '$.tool', 'rm_rf') WHERE chain = ? AND seq = ?")
      .run(target.chain, target.seq);
    raw.close();
    const failed = await api("GET", "/v1/records?agent=support-bot", tokens.auditor);
    expect(failed.body.verification.state).toBe("failed");
    expect(failed.body.verification.failure).toMatchObject({ problem: "hash-mismatch", seq: target.seq });
    // A page that does not reach the rewritten stretch still verifies.
    const other = await api("GET", "/v1/records?kind=session.end&limit=1", tokens.auditor);
    expect(other.body.verification.state).toBe("sealed");
  });

  it("is for auditors and admins; bad input is INVALID_REQUEST", async () => {
    for (const role of ["agent", "approver"] as const) {
      const res = await api("GET", "/v1/records", tokens[role]);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("FORBIDDEN");
    }
    for (const query of [
      "cursor=bm90LWEtY3Vyc29y",
      "limit=0",
      "limit=201",
      "kind=nope",
      "since=yesterday",
      "colour=red",
    ]) {
      const res = await api("GET", `/v1/records?${query}`, tokens.auditor);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe("INVALID_REQUEST");
    }
  });
});

describe("GET /v1/alerts", () => {
  it("lists alerts with severity, detector, call and session; filters by severity, detector, agent and call", async () => {
    await seed();
    const append = (data: Record<string, string | string[]>, agent: string | null, session: string | null) =>
      warden.ledger.append({ kind: "alert", session, agent, callId: null, data });
    await append(
      {
        type: "detect:canary",
        detector: "canary",
        severity: "critical",
        message: "canary seen",
        callIds: ["call_b_read"],
      },
      "billing-bot",
      bob.id,
    );
    await append({ type: "ledger.writes_failed" }, null, null);

    const all = await api("GET", "/v1/alerts", tokens.auditor);
    expect(all.status).toBe(200);
    expect(all.body.alerts.map((a: { detector: string }) => a.detector)).toEqual([
      "ledger.writes_failed",
      "canary",
      "intent",
    ]);
    const intent = all.body.alerts[2];
    expect(intent).toMatchObject({
      severity: "medium",
      detector: "intent",
      agent: "support-bot",
      session: alice.id,
      callIds: ["call_a_mail"],
    });
    expect(all.body.alerts[0].severity).toBe("unrated");
    expect(all.body.next).toBeNull();

    const critical = await api("GET", "/v1/alerts?severity=critical,high", tokens.auditor);
    expect(critical.body.alerts.map((a: { detector: string }) => a.detector)).toEqual(["canary"]);
    // A misspelt severity is refused, not read as "no alerts".
    for (const query of ["severity=hihg", "severity=high,Critical"]) {
      expect(await api("GET", `/v1/alerts?${query}`, tokens.auditor)).toMatchObject({
        status: 400,
        body: { error: { code: "INVALID_REQUEST" } },
      });
    }
    const byDetector = await api("GET", "/v1/alerts?detector=intent", tokens.admin);
    expect(byDetector.body.alerts).toHaveLength(1);
    const byAgent = await api("GET", "/v1/alerts?agent=billing-bot", tokens.auditor);
    expect(byAgent.body.alerts.map((a: { detector: string }) => a.detector)).toEqual(["canary"]);
    const byCall = await api("GET", "/v1/alerts?call=call_a_mail", tokens.auditor);
    expect(byCall.body.alerts.map((a: { detector: string }) => a.detector)).toEqual(["intent"]);

    const first = await api("GET", "/v1/alerts?limit=2", tokens.auditor);
    expect(first.body.alerts).toHaveLength(2);
    const second = await api("GET", `/v1/alerts?limit=2&cursor=${first.body.next}`, tokens.auditor);
    expect(second.body.alerts.map((a: { detector: string }) => a.detector)).toEqual(["intent"]);
    expect(second.body.next).toBeNull();

    const approver = await api("GET", "/v1/alerts", tokens.approver);
    expect(approver.status).toBe(403);
  });
});
