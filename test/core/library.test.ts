import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { guarded, type Session, WardenError } from "../../src/index.js";
import { answerApprovals, openWarden, PLAIN_POLICY, tempDir } from "../helpers.js";

const FULL_POLICY = {
  agents: {
    "support-bot": {
      team: "support",
      developer: "dana@example.com",
      tools: ["read_ticket", "send_email", "summarize"],
    },
    summarizer: { team: "platform", developer: "lee@example.com", tools: ["summarize"] },
  },
  rules: [
    { id: "read", tools: ["read_ticket", "summarize"], decision: "allow" },
    { id: "mail-inside", tools: ["send_email"], decision: "allow", when: 'args.to.endsWith("@example.com")' },
    { id: "mail-outside", tools: ["send_email"], decision: "ask", when: '!args.to.endsWith("@example.com")' },
  ],
  limits: [{ id: "per-session", key: "session", tools: ["summarize"], calls: 2, per: "1h" }],
  redact: { send_email: ["$.body"] },
};

describe("the library", () => {
  it("runs allowed tools and refuses blocked ones before their body runs (plain policy)", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const session = await warden.session({
      agent: "any-bot",
      onBehalfOf: "alice@example.com",
      intent: "test",
    });
    const ran: string[] = [];
    const read = session.guard("read_database", async (a: { q: string }) => {
      ran.push(a.q);
      return `rows for ${a.q}`;
    });
    const send = session.guard("send_email", async (_a: { to: string }) => ran.push("mail"));
    const other = session.guard("delete_everything", async () => ran.push("delete"));

    await expect(read({ q: "select 1" })).resolves.toBe("rows for select 1");
    await expect(send({ to: "bob@example.com" })).rejects.toMatchObject({ code: "TOOL_DENIED" });
    await expect(other()).rejects.toMatchObject({ code: "TOOL_DENIED", refusal: { ruleId: "default" } });
    expect(ran).toEqual(["select 1"]);

    const intents = await warden.ledger.store.query({ session: session.id, kinds: ["call.intent"] });
    expect(intents.map((r) => [r.data.tool, (r.data.decision as { effect: string }).effect])).toEqual([
      ["read_database", "allow"],
      ["send_email", "deny"],
      ["delete_everything", "deny"],
    ]);
    const outcomes = await warden.ledger.store.query({ session: session.id, kinds: ["call.outcome"] });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.data).toMatchObject({
      status: "ok",
      result: { digest: expect.stringMatching(/^sha256:/) },
    });
  });

  it("records the rationale, the principal chain and redacted arguments with every call", async () => {
    const { warden } = await openWarden(FULL_POLICY);
    const session = await warden.session({
      agent: "support-bot",
      onBehalfOf: "alice@example.com",
      intent: "ticket #123",
    });
    const send = session.guard("send_email", async (a: { to: string; body: string }) => `sent ${a.to}`);
    await send.with({ rationale: "the user asked for a reply", callId: "model-call-1" })({
      to: "bob@example.com",
      body: "secret body text",
    });
    const [intent] = await warden.ledger.store.query({ callId: "model-call-1", kinds: ["call.intent"] });
    expect(intent!.data).toMatchObject({
      tool: "send_email",
      rationale: "the user asked for a reply",
      intent: "ticket #123",
      redacted: ["$.body"],
      decision: { effect: "allow", ruleId: "mail-inside" },
      principal: [
        { kind: "user", id: "alice@example.com" },
        { kind: "agent", name: "support-bot", team: "support", developer: "dana@example.com" },
      ],
    });
    const args = intent!.data.args as { body: string; to: string };
    expect(args.to).toBe("bob@example.com");
    expect(args.body).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(intent)).not.toContain("secret body text");
  });

  it("asks for approval on outside mail: denied by a person, the body does not run", async () => {
    const { warden } = await openWarden(FULL_POLICY);
    const session = await warden.session({
      agent: "support-bot",
      onBehalfOf: "alice@example.com",
      intent: "t",
    });
    let ran = false;
    const send = session.guard("send_email", async (_a: { to: string; body: string }) => {
      ran = true;
    });
    answerApprovals(warden, "deny", "not to that address");
    await expect(send({ to: "eve@evil.test", body: "x" })).rejects.toMatchObject({
      code: "APPROVAL_DENIED",
      message: expect.stringContaining("not to that address"),
    });
    expect(ran).toBe(false);
  });

  it("denies tools outside the agent's job description and refuses unknown agents", async () => {
    const { warden } = await openWarden({
      ...FULL_POLICY,
      rules: [...FULL_POLICY.rules, { id: "anything", tools: ["*"], decision: "allow" }],
    });
    const session = await warden.session({
      agent: "summarizer",
      onBehalfOf: "alice@example.com",
      intent: "t",
    });
    await expect(session.guard("read_ticket", async () => 1)()).rejects.toMatchObject({
      code: "TOOL_DENIED",
      refusal: { ruleId: "agent.tools" },
    });
    await expect(
      warden.session({ agent: "ghost", onBehalfOf: "a@example.com", intent: "t" }),
    ).rejects.toMatchObject({
      code: "AGENT_UNKNOWN",
    });
  });

  it("rate limits with RATE_LIMITED and records the refusal", async () => {
    const { warden } = await openWarden(FULL_POLICY);
    const session = await warden.session({
      agent: "support-bot",
      onBehalfOf: "alice@example.com",
      intent: "t",
    });
    const summarize = session.guard("summarize", async () => "ok");
    await summarize();
    await summarize();
    await expect(summarize()).rejects.toMatchObject({
      code: "RATE_LIMITED",
      retryAfterMs: expect.any(Number),
    });
    const denied = await warden.ledger.store.query({ session: session.id, decision: "deny" });
    expect(denied[0]!.data.decision).toMatchObject({ ruleId: "limit:per-session", code: "RATE_LIMITED" });
  });

  it("check() and recordOutcome() for frameworks that run tools themselves", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "t" });
    const allowed = await session.check("summarize_text", { text: "hi" }, { rationale: "asked" });
    expect(allowed).toMatchObject({ effect: "allow", enforced: "allow", ruleId: "allowed_tools" });
    await session.recordOutcome(allowed.callId, { status: "ok", result: { summary: "hi" } });
    await expect(session.recordOutcome(allowed.callId, { status: "ok" })).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    const denied = await session.check("execute_shell", { cmd: "ls" });
    expect(denied.enforced).toBe("deny");
    await expect(session.recordOutcome(denied.callId, { status: "ok" })).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    await expect(session.recordOutcome("call_nope", { status: "ok" })).rejects.toMatchObject({
      code: "CALL_NOT_FOUND",
    });
  });

  it("refuses non-JSON arguments with INVALID_ARGS and runs nothing", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "t" });
    let ran = 0;
    const read = session.guard("read_database", async (_a: unknown) => ran++);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    for (const bad of [
      cyclic,
      { f: () => 1 },
      { n: Number.NaN },
      { b: 10n },
      { d: new Date() },
      { s: Symbol("x") },
    ]) {
      await expect(read(bad)).rejects.toMatchObject({ code: "INVALID_ARGS" });
    }
    expect(ran).toBe(0);
    expect(await warden.ledger.store.query({ session: session.id, kinds: ["call.intent"] })).toHaveLength(0);
  });

  it("refuses calls after the session ends (SESSION_ENDED) and reuse of a call id", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "t" });
    const read = session.guard("read_database", async () => 1);
    await read.with({ callId: "c-1" })();
    await expect(read.with({ callId: "c-1" })()).rejects.toMatchObject({ code: "CALL_ID_CONFLICT" });
    await session.end();
    await expect(read()).rejects.toMatchObject({ code: "SESSION_ENDED" });
    await expect(session.end()).rejects.toMatchObject({ code: "SESSION_ENDED" });
    await expect(warden.resume("ses_unknown")).rejects.toMatchObject({ code: "SESSION_NOT_FOUND" });
  });

  it("chains sub-agent sessions: user → agent → sub-agent", async () => {
    const { warden } = await openWarden(FULL_POLICY);
    const parent = await warden.session({
      agent: "support-bot",
      onBehalfOf: "alice@example.com",
      intent: "ticket",
    });
    const child = await warden.session({
      agent: "summarizer",
      onBehalfOf: "alice@example.com",
      intent: "summarize",
      parent,
    });
    expect(child.principal.map((p) => (p.kind === "user" ? p.id : p.name))).toEqual([
      "alice@example.com",
      "support-bot",
      "summarizer",
    ]);
    await expect(
      warden.session({ agent: "summarizer", onBehalfOf: "mallory@example.com", intent: "x", parent }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    await parent.end();
    await expect(
      warden.session({
        agent: "summarizer",
        onBehalfOf: "alice@example.com",
        intent: "x",
        parent: parent.id,
      }),
    ).rejects.toMatchObject({ code: "SESSION_ENDED" });
  });

  it("refuses identities holding control characters or bidirectional overrides, and records nothing", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    for (const bad of [
      "alice\nroot",
      "alice\u0000",
      "\u001b[2Jalice",
      "alice\u202egnp.exe",
      "a\u2028b",
      "a\u0085",
    ]) {
      await expect(warden.session({ agent: "a", onBehalfOf: bad, intent: "t" })).rejects.toMatchObject({
        code: "INVALID_REQUEST",
      });
      await expect(warden.session({ agent: "a", onBehalfOf: "u", intent: bad })).rejects.toMatchObject({
        code: "INVALID_REQUEST",
      });
    }
    expect(await warden.ledger.store.query({ kinds: ["session.start"] })).toHaveLength(0);
    const ok = await warden.session({
      agent: "a",
      onBehalfOf: "Zoë O'Brien <zoe@example.com>",
      intent: "résumé 履歴書",
    });
    expect(ok.onBehalfOf).toBe("Zoë O'Brien <zoe@example.com>");
  });

  it("monitor mode records the would-be decision and lets the call through", async () => {
    const { warden } = await openWarden({ mode: "monitor", blocked_tools: ["send_email"] });
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "t" });
    await expect(session.guard("send_email", async () => "sent")()).resolves.toBe("sent");
    const [intent] = await warden.ledger.store.query({ session: session.id, kinds: ["call.intent"] });
    expect(intent!.data.decision).toMatchObject({ effect: "deny", enforced: "allow" });
  });

  it("records tool errors by code, never by message", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "t" });
    const read = session.guard("read_database", async () => {
      throw new Error("password=hunter2 rejected");
    });
    await expect(read()).rejects.toThrow("hunter2");
    const [outcome] = await warden.ledger.store.query({ session: session.id, kinds: ["call.outcome"] });
    expect(outcome!.data).toMatchObject({ status: "error", error: { code: "Error" } });
    expect(JSON.stringify(outcome)).not.toContain("hunter2");
  });
});

describe("@guarded", () => {
  /** Compiles the decorated fixture with TypeScript, as a user's build would, and loads it. */
  async function loadTools() {
    const source = readFileSync(join(import.meta.dirname, "fixtures/decorated-tools.ts"), "utf8");
    const js = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    }).outputText;
    const file = join(tempDir(), "decorated-tools.mjs");
    writeFileSync(file, js);
    const mod = (await import(pathToFileURL(file).href)) as typeof import("./fixtures/decorated-tools.js");
    return mod.makeTools(guarded);
  }

  it("gates methods through the instance's session", async () => {
    const Tools = await loadTools();
    const { warden } = await openWarden(PLAIN_POLICY);
    const tools = new Tools(await warden.session({ agent: "a", onBehalfOf: "u", intent: "t" }));
    await expect(tools.read({ sql: "select 1" })).resolves.toBe("rows for select 1");
    await expect(tools.shell("rm -rf /")).rejects.toMatchObject({ code: "TOOL_DENIED" });
    expect(tools.calls).toBe(1);
    const [intent] = await warden.ledger.store.query({ tool: "read_database", kinds: ["call.intent"] });
    expect(intent!.data.args).toEqual({ sql: "select 1" });
  });

  it("refuses an instance without a session", async () => {
    const Tools = await loadTools();
    const tools = new Tools(undefined as unknown as Session);
    await expect(tools.read({ sql: "x" })).rejects.toBeInstanceOf(WardenError);
    expect(tools.calls).toBe(0);
  });
});

describe("argument boundary", () => {
  it("keeps a __proto__ key as data, exactly as the tool receives it", async () => {
    const { warden } = await openWarden(PLAIN_POLICY);
    const session = await warden.session({ agent: "a", onBehalfOf: "u", intent: "t" });
    const args = JSON.parse('{"__proto__": {"admin": true}, "q": 1}');
    await session.check("read_database", args, { callId: "proto-1" });
    const [intent] = await warden.ledger.store.query({ callId: "proto-1", kinds: ["call.intent"] });
    expect(JSON.stringify(intent!.data.args)).toBe('{"__proto__":{"admin":true},"q":1}');
  });
});
