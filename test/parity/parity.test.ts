// The parity table: every guarantee Warden states, tested on every entry point that reaches a tool.
// Rows are entry points (entry-points.ts), cells are the `it`s below. Where an entry point cannot offer a
// guarantee by its nature (the caller runs the tool itself), its cell tests what it offers instead, as
// docs/guarantees.md says.
import { describe, expect, it } from "vitest";
import { digestJson } from "../../src/digest.js";
import { Warden } from "../../src/index.js";
import { BubblewrapRunner } from "../../src/sandbox/index.js";
import { createToken, startServer } from "../../src/server/index.js";
import { answerApprovals, onCleanup } from "../helpers.js";
import {
  type Args,
  type Bodies,
  ENTRY_POINTS,
  type Harness,
  pendingApproval,
  type Seen,
} from "./entry-points.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";

function policy(results?: "redact" | "block") {
  return {
    version: 1,
    default: "deny",
    rules: [
      { id: "run", tools: ["work", "leak", "fail_leak", "hang"], decision: "allow" },
      { id: "human", tools: ["asked"], decision: "ask", reason: "a person decides" },
      { id: "never", tools: ["refused"], decision: "deny", reason: "never this tool" },
    ],
    ...(results ? { secrets: { results, items: {} } } : {}),
  };
}

/** The test's tool bodies: what ran, whether the intent was durable when it started, a call that hangs. */
function fixture() {
  const ran: string[] = [];
  const intentWasDurable: boolean[] = [];
  let ledgerOf: () => Warden = () => {
    throw new Error("not open yet");
  };
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let hangStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => {
    hangStarted = r;
  });
  const bodies: Bodies = {
    work: async () => {
      ran.push("work");
      const intents = await ledgerOf().ledger.store.query({ tool: "work", kinds: ["call.intent"] });
      intentWasDurable.push(intents.length > 0);
      return { done: true };
    },
    refused: async () => {
      ran.push("refused");
      return "ran anyway";
    },
    asked: async (a: Args) => {
      ran.push(`asked:${a.n}`);
      return "done";
    },
    leak: async () => {
      ran.push("leak");
      return `key ${KEY}`;
    },
    fail_leak: async () => {
      ran.push("fail_leak");
      throw new Error(`failed with ${KEY}`);
    },
    hang: async () => {
      ran.push("hang");
      hangStarted();
      await released;
      return "too late";
    },
  };
  return {
    ran,
    intentWasDurable,
    bodies,
    started,
    release,
    bind: (h: Harness) => {
      ledgerOf = () => h.warden;
    },
  };
}

async function open(entry: (typeof ENTRY_POINTS)[number], results?: "redact" | "block") {
  const f = fixture();
  const h = await entry.open(policy(results), f.bodies);
  f.bind(h);
  return { h, f };
}

/** Polls `check` (records another process writes, outcomes written just after a response). */
async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The outcome records of every call of `tool`, grouped by call. */
async function outcomesOf(warden: Warden, tool: string) {
  const store = warden.ledger.store;
  const intents = await store.query({ tool, kinds: ["call.intent"] });
  return Promise.all(
    intents.map(async (i) => ({
      callId: i.callId,
      outcomes: await store.query({ callId: i.callId!, kinds: ["call.outcome"] }),
    })),
  );
}

/** What `call` settled with, or a failure if it is still running after `ms`. */
async function within<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Another Warden on the entry point's ledger file with its HTTP API, as `warden start` beside the
 * agent's process: where the SOC ends a session, reads an approval and tries to decide it.
 */
async function socBeside(warden: Warden, policy: object) {
  const db = warden.ledger.store.file;
  if (!db) throw new Error("the entry point's ledger is not a file");
  const other = await Warden.open({ policy: policy as Record<string, unknown>, db });
  onCleanup(() => other.close());
  const server = await startServer(other, { port: 0 });
  onCleanup(() => server.close());
  const { token } = await createToken(other.ledger.store, { role: "admin", name: "soc@test.example" });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  return {
    endSession: async (id: string, reason: string) => {
      const ended = await api("POST", `/v1/sessions/${id}/end`, { reason });
      expect(ended).toMatchObject({ id, reason });
    },
    approval: async (id: string) => (await api("GET", `/v1/approvals/${id}`)).approval,
    /** How a call stands, as an HTTP agent polls it (GET /v1/calls/{id}). */
    callState: (callId: string) => api("GET", `/v1/calls/${callId}`),
    decide: async (id: string) =>
      (await api("POST", `/v1/approvals/${id}/decision`, { decision: "approve" })).error,
    /** Reports an outcome for `callId`, as an HTTP agent that ran it would: the refusal, if any. */
    report: async (callId: string) =>
      (await api("POST", `/v1/calls/${callId}/outcome`, { status: "ok", result: "forged" })).error,
  };
}

function hasNoKey(seen: Seen) {
  expect(JSON.stringify(seen)).not.toContain(KEY);
}

const approver = { name: "approver@test.example", role: "approver" as const, via: "api" };

/** The test policy after a reload that refuses the asked tool outright. */
function refusingAsked() {
  const p = policy();
  return { ...p, rules: p.rules.map((r) => (r.id === "human" ? { ...r, decision: "deny" } : r)) };
}

for (const entry of ENTRY_POINTS) {
  const missing = entry.needs === "bubblewrap" && !BubblewrapRunner.available();
  describe.skipIf(missing)(`${entry.name}${missing ? " (skipped: bubblewrap is not installed)" : ""}`, () => {
    it("records the intent durably before the body runs", async () => {
      const { h, f } = await open(entry);
      const seen = await h.call("work", { n: 1 });
      expect(seen.ok).toBe(true);
      expect(f.intentWasDurable).toEqual([true]);
    });

    it("never runs the body of a refused call", async () => {
      const { h, f } = await open(entry);
      const seen = await h.call("refused", { n: 1 });
      expect(seen).toMatchObject({ ok: false, code: "TOOL_DENIED" });
      expect(f.ran).not.toContain("refused");
    });

    it("holds an ask until a person approves, then runs it", async () => {
      const { h, f } = await open(entry);
      answerApprovals(h.warden, "approve");
      const seen = await h.call("asked", { n: 1 });
      expect(seen, JSON.stringify(seen)).toMatchObject({ ok: true });
      expect(f.ran).toContain("asked:1");
    });

    it("refuses an ask past approvals.maxPendingPerSession (APPROVALS_PENDING_LIMIT), nobody asked", async () => {
      const f = fixture();
      const h = await entry.open({ ...policy(), approvals: { maxPendingPerSession: 1 } }, f.bodies);
      f.bind(h);
      const first = h.call("asked", { n: 1 });
      const view = await pendingApproval(h.warden);
      const second = await within(h.call("asked", { n: 2 }), 10_000);
      expect(second).toMatchObject({ ok: false, code: "APPROVALS_PENDING_LIMIT" });
      expect(h.warden.approvals.queue.book.list((v) => v.status === "pending", 10)).toHaveLength(1);
      await h.warden.approvals.queue.decide(view.id, { decision: "approve", approver, digest: view.digest });
      expect(await within(first, 10_000)).toMatchObject({ ok: true });
      // One run: the approved call (the command harness keeps one argument set per tool, so no `n` here).
      expect(f.ran).toHaveLength(1);
      const intents = await h.warden.ledger.store.query({ tool: "asked", kinds: ["call.intent"] });
      expect(intents.map((r) => r.data.args)).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it("never runs an ask a person denied", async () => {
      const { h, f } = await open(entry);
      answerApprovals(h.warden, "deny", "not today");
      const seen = await h.call("asked", { n: 1 });
      expect(seen).toMatchObject({ ok: false, code: "APPROVAL_DENIED" });
      expect(f.ran.filter((r) => r.startsWith("asked"))).toEqual([]);
    });

    it("binds an approval to the arguments that run (changed → APPROVAL_MISMATCH)", async () => {
      const { h, f } = await open(entry);
      const approve = async () => {
        const view = await pendingApproval(h.warden);
        await h.warden.approvals.queue.decide(view.id, {
          decision: "approve",
          approver,
          digest: view.digest,
        });
      };
      if (h.callChanged) {
        const seen = await h.callChanged("asked", { n: 1 }, { n: 666 }, approve);
        expect(seen).toMatchObject({ ok: false, code: "APPROVAL_MISMATCH" });
        expect(f.ran.filter((r) => r.startsWith("asked"))).toEqual([]);
        return;
      }
      // Given once (one JSON message, or the caller runs the tool itself): what ran is what was decided.
      const calling = h.call("asked", { n: 7 });
      await approve();
      expect((await calling).ok).toBe(true);
      const [intent] = await h.warden.ledger.store.query({ tool: "asked", kinds: ["call.intent"] });
      expect(intent!.data.args).toEqual({ n: 7 });
      expect(f.ran).toEqual(["asked:7"]);
    });

    for (const when of ["after", "at once", "after its report"] as const) {
      it(`runs a decided call once when it is handed in again ${when} (CALL_ID_CONFLICT)`, async () => {
        const { h, f } = await open(entry);
        if (!h.replay) {
          // No call id to hand in again (@guarded): each call is a decision of its own, run once.
          await h.call("work", { n: 1 });
          await h.call("work", { n: 1 });
          const calls = await outcomesOf(h.warden, "work");
          expect(new Set(calls.map((c) => c.callId)).size).toBe(2);
          expect(calls.map((c) => c.outcomes.length)).toEqual([1, 1]);
          return;
        }
        const caller = h.runs === "caller";
        // A call Warden runs takes no report (see below): handed in again after it ran, then reported.
        const seen = await h.replay("work", { n: 1 }, caller || when !== "after its report" ? when : "after");
        expect(
          seen.filter((s) => s.ok),
          JSON.stringify(seen),
        ).toHaveLength(1);
        expect(seen.filter((s) => !s.ok)).toEqual([expect.objectContaining({ code: "CALL_ID_CONFLICT" })]);
        expect(f.ran).toEqual(["work"]);
        const [call] = await eventually(async () => {
          const calls = await outcomesOf(h.warden, "work");
          return calls.length === 1 && calls[0]!.outcomes.length > 0 ? calls : undefined;
        });
        if (!caller && when === "after its report") {
          const soc = await socBeside(h.warden, policy());
          expect(await soc.report(call!.callId!)).toMatchObject({ code: "CALL_ID_CONFLICT" });
        }
        expect(call!.outcomes).toHaveLength(1);
      });
    }

    it("runs a decided call only with the arguments it was decided on (APPROVAL_MISMATCH)", async () => {
      const { h, f } = await open(entry);
      if (!h.runChanged) {
        // The arguments come once, with the call (or the caller runs the tool itself over HTTP, and
        // holds what it was allowed): what Warden decided is what it runs.
        expect(await h.call("work", { n: 3 })).toMatchObject({ ok: true });
        const [intent] = await h.warden.ledger.store.query({ tool: "work", kinds: ["call.intent"] });
        expect(intent!.data.args).toEqual({ n: 3 });
        return;
      }
      const seen = await h.runChanged("work", { n: 1 }, { n: 2 });
      expect(seen).toMatchObject({ ok: false, code: "APPROVAL_MISMATCH" });
      expect(f.ran).toEqual([]);
      expect((await outcomesOf(h.warden, "work")).map((c) => c.outcomes.length)).toEqual([0]);
    });

    it("ends an approved call a reloaded policy refuses with one outcome (TOOL_DENIED), however often it is asked, and takes no report after it", async () => {
      const { h, f } = await open(entry);
      const calling = h.call("asked", { n: 1 });
      const view = await pendingApproval(h.warden);
      await h.reload(refusingAsked());
      await h.warden.approvals.queue.decide(view.id, { decision: "approve", approver, digest: view.digest });
      const refused = { ok: false, code: "TOOL_DENIED" };
      expect(await within(calling, 10_000)).toMatchObject(refused);
      expect(f.ran.filter((r) => r.startsWith("asked"))).toEqual([]);
      // Asked again: the entry point's own way, and over HTTP from another Warden on the ledger, one
      // that has not reloaded yet (under its policy the approval still covers the call).
      const soc = await socBeside(h.warden, policy());
      const deny = { decision: "deny", code: "TOOL_DENIED" };
      for (let ask = 0; ask < 2; ask++) {
        if (h.askAgain) expect(await h.askAgain(view.callId)).toMatchObject(refused);
        expect(await soc.callState(view.callId)).toMatchObject(deny);
      }
      // No report after it: not the entry point's own, not one over HTTP from another process.
      const conflict = { code: "CALL_ID_CONFLICT" };
      if (h.report) expect(await h.report(view.callId)).toMatchObject(conflict);
      expect(await soc.report(view.callId)).toMatchObject(conflict);
      const outcomes = await h.warden.ledger.store.query({ callId: view.callId, kinds: ["call.outcome"] });
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]!.data).toMatchObject({ status: "error", error: { code: "TOOL_DENIED" } });
    });

    it("screens results and errors with secrets.results: redact", async () => {
      const { h, f } = await open(entry, "redact");
      const leak = await h.call("leak", { n: 1 });
      const fail = await h.call("fail_leak", { n: 1 });
      expect(f.ran).toEqual(expect.arrayContaining(["leak", "fail_leak"]));
      expect(leak.ok).toBe(true);
      hasNoKey(leak);
      if (h.runs === "caller") {
        // The caller reported the result and hands on the screened one; its own error stays its own
        // (Warden gets only the code), and the ledger keeps digests, never the values.
        const outcomes = await h.warden.ledger.store.query({ kinds: ["call.outcome"] });
        expect(outcomes).toHaveLength(2);
        expect(JSON.stringify(outcomes)).not.toContain(KEY);
        return;
      }
      // A failure reaches the caller as an error, or as text (OpenAI Agents, an MCP isError result).
      hasNoKey(fail);
    });

    it("withholds results and errors holding a credential with secrets.results: block", async () => {
      const { h, f } = await open(entry, "block");
      const leak = await h.call("leak", { n: 1 });
      const fail = await h.call("fail_leak", { n: 1 });
      expect(f.ran).toEqual(expect.arrayContaining(["leak", "fail_leak"]));
      expect(leak).toMatchObject({ ok: false, code: "RESULT_WITHHELD" });
      hasNoKey(leak);
      if (h.runs === "caller") {
        const outcomes = await h.warden.ledger.store.query({ kinds: ["call.outcome"] });
        expect(JSON.stringify(outcomes)).not.toContain(KEY);
        const leakOutcome = outcomes.find((r) => r.data.tool === "leak");
        expect(leakOutcome?.data).toMatchObject({ status: "error", error: { code: "RESULT_WITHHELD" } });
        return;
      }
      expect(fail).toMatchObject({ ok: false, code: "RESULT_WITHHELD" });
      hasNoKey(fail);
    });

    it("stops a call in flight when its session is ended elsewhere", async () => {
      const { h, f } = await open(entry);
      const calling = h.call("hang", { n: 1 });
      await f.started;
      const session = await h.session();
      await h.warden.sessions.end(session, "ended by the SOC");
      if (h.runs === "caller") {
        // Warden cannot stop a tool its caller runs: the end refuses every later call, and the running
        // call's outcome is still recorded once when it finishes.
        expect(await h.call("work", { n: 1 })).toMatchObject({ ok: false, code: "SESSION_ENDED" });
        f.release();
        expect((await calling).ok).toBe(true);
      } else {
        const seen = await calling;
        expect(seen.ok).toBe(false);
        // An MCP client may instead see its connection close: the gateway session ends with the session.
        if (!entry.name.startsWith("warden mcp")) expect(seen).toMatchObject({ code: "SESSION_ENDED" });
        f.release();
      }
      const [call] = await eventually(async () => {
        const calls = await outcomesOf(h.warden, "hang");
        return calls.length === 1 && calls[0]!.outcomes.length > 0 ? calls : undefined;
      });
      expect(call!.outcomes).toHaveLength(1);
      if (h.runs === "warden") {
        expect(call!.outcomes[0]!.data).toMatchObject({ status: "error", error: { code: "SESSION_ENDED" } });
      }
    });

    it("stops a call waiting for its approval when its session is ended elsewhere", async () => {
      const { h, f } = await open(entry);
      const calling = h.call("asked", { n: 1 });
      const view = await pendingApproval(h.warden);
      const soc = await socBeside(h.warden, policy());
      const session = await h.session();
      await soc.endSession(session, "ended by the SOC");
      // Settled by the end itself, long before the approval's deadline (15 minutes).
      const seen = await within(calling, 10_000);
      // An MCP client too: the gateway answers its waiting calls before the connection closes.
      expect(seen).toMatchObject({ ok: false, code: "SESSION_ENDED" });
      if (entry.name.startsWith("HTTP")) {
        // The long poll answers at once: deny, code SESSION_ENDED, the approval closed by the session's end.
        expect(seen).toMatchObject({ text: "session ended: ended by the SOC" });
      }
      expect(f.ran.filter((r) => r.startsWith("asked"))).toEqual([]);
      // Nobody can approve it any more: it reads as closed, and a decision is refused.
      expect(await soc.approval(view.id)).toMatchObject({
        status: "closed",
        closed: { reason: "session ended: ended by the SOC" },
      });
      expect(await soc.decide(view.id)).toMatchObject({ code: "APPROVAL_CLOSED" });
      // The ledger says what became of it: asked, never decided, never ran (no outcome), session ended.
      const kinds = (await h.warden.ledger.store.query({ callId: view.callId })).map((r) => r.kind);
      expect(kinds).toEqual(["call.intent", "approval.request"]);
      const [end] = await h.warden.ledger.store.query({ session, kinds: ["session.end"] });
      expect(end!.data).toMatchObject({ reason: "ended by the SOC" });
    });

    it("takes a call's outcome only from who runs it: no report for a call Warden runs, even mid-run", async () => {
      const { h, f } = await open(entry);
      const calling = h.call("hang", { n: 1 });
      await f.started;
      const [intent] = await h.warden.ledger.store.query({ tool: "hang", kinds: ["call.intent"] });
      const callId = intent!.callId!;
      const conflict = { code: "CALL_ID_CONFLICT" };
      // Over HTTP (an agent's or admin's token, another Warden on the ledger): only for a call decided there.
      if (!entry.name.startsWith("HTTP")) {
        const soc = await socBeside(h.warden, policy());
        expect(await soc.report(callId)).toMatchObject(conflict);
      }
      // Through the library of the entry point's own process: only for a call its check() decided.
      const inProcess = !entry.name.startsWith("warden mcp");
      if (inProcess && entry.name !== "session.check + recordOutcome") {
        const session = await h.warden.resume(await h.session());
        await expect(session.recordOutcome(callId, { status: "ok", result: "forged" })).rejects.toMatchObject(
          conflict,
        );
      }
      f.release();
      // The sandboxed `hang` is a 30 s sleep the release does not reach: ending the session stops it.
      if (entry.name === "session.command") await h.warden.sessions.end(await h.session(), "test done");
      else expect(await calling).toMatchObject({ ok: true });
      await calling;
      const outcomes = await eventually(async () => {
        const [call] = await outcomesOf(h.warden, "hang");
        return call && call.outcomes.length > 0 ? call.outcomes : undefined;
      });
      // One record, the run's own (or the caller's own report), never the forged one.
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]!.data.result).not.toEqual(digestJson("forged"));
    });

    it("writes exactly one outcome record per call that ran, none for a refused one", async () => {
      const { h } = await open(entry);
      await h.call("work", { n: 1 });
      await h.call("work", { n: 2 });
      await h.call("fail_leak", { n: 1 });
      await h.call("refused", { n: 1 });
      for (const tool of ["work", "fail_leak"]) {
        const calls = await eventually(async () => {
          const c = await outcomesOf(h.warden, tool);
          return c.every((x) => x.outcomes.length > 0) ? c : undefined;
        });
        expect(calls.map((c) => c.outcomes.length)).toEqual(tool === "work" ? [1, 1] : [1]);
      }
      // A late duplicate would be written before the outcome of a call made after: wait for that one.
      await h.call("work", { n: 3 });
      const work = await eventually(async () => {
        const c = await outcomesOf(h.warden, "work");
        return c.length === 3 && c.every((x) => x.outcomes.length > 0) ? c : undefined;
      });
      expect(work.map((c) => c.outcomes.length)).toEqual([1, 1, 1]);
      expect((await outcomesOf(h.warden, "refused")).map((c) => c.outcomes.length)).toEqual([0]);
    });
  });
}
