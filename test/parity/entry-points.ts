// The entry points of the parity table: each runs one tool call its own way (library, decorator, sandboxed
// command, check + outcome, HTTP, MCP over stdio and HTTP, the three framework adapters) and reports what
// its caller saw. The tool bodies are the test's own functions, so the test sees when (and whether) they run.
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { tool as langchainTool } from "@langchain/core/tools";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { tool as agentsTool, RunContext } from "@openai/agents";
import { tool as aiTool } from "ai";
import { expect, onTestFailed } from "vitest";
import { z } from "zod";
import { wardenTools } from "../../src/adapters/ai-sdk/index.js";
import { wardenLangChainTools } from "../../src/adapters/langchain/index.js";
import { McpGateway } from "../../src/adapters/mcp/index.js";
import { wardenAgentTools } from "../../src/adapters/openai-agents/index.js";
import { type GateDecision, guarded, Warden, WardenError } from "../../src/index.js";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, tempDir } from "../helpers.js";

/** What the caller of an entry point saw: a value, or a refusal / error with its code. */
export type Seen = { ok: true; value: unknown } | { ok: false; code: string; text: string };

export type Args = { n: number };
export type Body = (args: Args) => Promise<unknown>;
export type Bodies = Record<string, Body>;

export interface Harness {
  /** The Warden the test approves, ends sessions and reads the ledger with (same file as the entry point's). */
  warden: Warden;
  /** The session the calls run in. */
  session(): Promise<string>;
  call(tool: string, args: Args): Promise<Seen>;
  /**
   * For entry points where the arguments can differ between the decision and the run: decides with
   * `args`, runs with `changed` (or changes the caller's own object while it waits), and calls
   * `approve` once the approval is pending. Null where the arguments are given once, in one message,
   * and the entry point runs exactly what it decided.
   */
  callChanged:
    | ((tool: string, args: Args, changed: Args, approve: () => Promise<void>) => Promise<Seen>)
    | null;
  /** "caller": the entry point hands the decision back and the caller runs the tool itself. */
  runs: "warden" | "caller";
  /**
   * One decided call handed in again, the entry point's own way of replaying a call: a `check()`
   * decision given to `runChecked` again, a caller-chosen call id used again (`guard.with`,
   * `session.command`, MCP `_meta["warden/callId"]`, `/v1/decisions`), a framework call resumed again
   * with the call id it was decided under, an HTTP outcome reported again. `"after"`: once the first
   * hand-in finished; `"at once"`: both together; `"after its report"` (a caller that runs the tool):
   * once the caller reported its outcome. What each hand-in saw. Null where the entry point takes no
   * call id (`@guarded`: every call is decided anew).
   */
  replay: ((tool: string, args: Args, when: Replay) => Promise<Seen[]>) | null;
  /**
   * For entry points that decide and run apart: decides with `args`, then runs with `changed`, no
   * approval between. Null where the arguments come once, with the call (what runs is what was
   * decided), or the caller runs the tool itself over HTTP (Warden never sees what runs).
   */
  runChanged: ((tool: string, args: Args, changed: Args) => Promise<Seen>) | null;
  /** Loads `policy` in the Warden that decides the entry point's calls (`warden mcp` watches its file). */
  reload(policy: object): Promise<void>;
  /**
   * Asks again how a call held for its approval stands, where its caller can (`awaitApproval`, the
   * HTTP poll); null where Warden holds and runs the call itself.
   */
  askAgain: ((callId: string) => Promise<Seen>) | null;
  /** Reports an outcome for `callId` the entry point's own way; null where Warden runs the call. */
  report: ((callId: string) => Promise<Seen>) | null;
}

export type Replay = "after" | "at once" | "after its report";

export interface EntryPoint {
  name: string;
  /** What must exist for it (bubblewrap); the suite says when it is missing. */
  needs?: "bubblewrap";
  open(policy: object, bodies: Bodies): Promise<Harness>;
}

export const TOOLS = ["work", "refused", "asked", "leak", "fail_leak", "hang"] as const;

const root = fileURLToPath(new URL("../../", import.meta.url));
const CLI = `${root}dist/cli/bin.js`;
const RELAY = `${root}test/parity/fixtures/relay-server.mjs`;
const IDENTITY = { agent: "parity-agent", onBehalfOf: "user@example.com", intent: "parity" };

/** A refusal or error as a caller sees it; a body's own error keeps its message (screened or not). */
export function seenError(err: unknown): Seen {
  if (err instanceof WardenError) return { ok: false, code: err.code, text: err.message };
  if (err instanceof Error) return { ok: false, code: "BODY_ERROR", text: `${err.message}\n${err.stack}` };
  return { ok: false, code: "BODY_ERROR", text: String(err) };
}

async function settle(work: () => Promise<unknown>): Promise<Seen> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    return seenError(err);
  }
}

/** A refusal the model reads as text ("Warden refused this tool call (CODE): …"), as a Seen. */
function fromRefusalText(text: string): Seen | null {
  const m = /^Warden refused this tool call \(([A-Z_]+)\)/.exec(text);
  return m ? { ok: false, code: m[1]!, text } : null;
}

/** A LangChain tool's answer to a tool call (a ToolMessage): Warden's refusal carries its code in the artifact. */
function fromToolMessage(seen: Seen): Seen {
  if (!seen.ok) return seen;
  const message = seen.value as { content?: unknown; artifact?: { warden?: { code?: string } } };
  const code = message.artifact?.warden?.code;
  return code ? { ok: false, code, text: String(message.content) } : seen;
}

/** Resolves once `warden` shows a pending approval (another process's too: the book polls the ledger). */
export async function pendingApproval(warden: Warden) {
  for (let i = 0; i < 1_000; i++) {
    await warden.approvals.queue.book.poll();
    const [view] = warden.approvals.queue.book.list((v) => v.status === "pending", 1);
    if (view) return view;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("no pending approval appeared");
}

/** A Warden on a ledger file, its policy loaded from a file (so it can be reloaded). */
async function openLocal(policy: object) {
  const dir = tempDir();
  const db = `${dir}/ledger.db`;
  const policyFile = `${dir}/policy.json`;
  writeFileSync(policyFile, JSON.stringify(policy));
  const warden = await Warden.open({ policy: policyFile, db });
  onCleanup(() => warden.close());
  const reload = async (next: object) => {
    writeFileSync(policyFile, JSON.stringify(next));
    expect(await warden.reloadPolicy()).toMatchObject({ ok: true, changed: true });
  };
  return { warden, db, dir, policyFile, reload };
}

async function localSession(policy: object) {
  const { warden, reload } = await openLocal(policy);
  const session = await warden.session(IDENTITY);
  return { warden, session, reload };
}

/** The test's caller-chosen call ids: a new one for every replayed call. */
let chosen = 0;
const nextCallId = () => `parity_${process.pid}_${++chosen}`;

/** The same hand-in twice: one after the other, or both at once. */
async function twice(when: Replay, handIn: () => Promise<Seen>): Promise<Seen[]> {
  if (when === "at once") return Promise.all([handIn(), handIn()]);
  return [await handIn(), await handIn()];
}

const guard: EntryPoint = {
  name: "session.guard",
  async open(policy, bodies) {
    const { warden, session, reload } = await localSession(policy);
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
      reload,
      askAgain: null,
      report: null,
      runChanged: null,
      // A caller-chosen call id used again.
      replay: (tool, args, when) => {
        const withId = session.guard(tool, bodies[tool]!).with({ callId: nextCallId() });
        return twice(when, () => settle(() => withId(args)));
      },
      call: (tool, args) => settle(() => session.guard(tool, bodies[tool]!)(args)),
      callChanged: async (tool, args, changed, approve) => {
        const running = settle(() => session.guard(tool, bodies[tool]!)(args));
        await pendingApproval(warden);
        // The caller's own object changes while it waits: what runs must still be what was approved.
        args.n = changed.n;
        await approve();
        return running;
      },
    };
  },
};

/** The TC39 decorator applied the way a compiled class applies it (replacing the method). */
const decorated: EntryPoint = {
  name: "@guarded",
  async open(policy, bodies) {
    const { warden, session, reload } = await localSession(policy);
    const holder = { session };
    const method = (tool: string) =>
      guarded(tool)(
        async function (this: unknown, args: Args) {
          return bodies[tool]!(args);
        },
        {} as ClassMethodDecoratorContext<unknown, (this: unknown, args: Args) => Promise<unknown>>,
      );
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
      reload,
      askAgain: null,
      report: null,
      runChanged: null,
      replay: null,
      call: (tool, args) => settle(() => method(tool).call(holder, args)),
      callChanged: async (tool, args, changed, approve) => {
        const running = settle(() => method(tool).call(holder, args));
        await pendingApproval(warden);
        args.n = changed.n;
        await approve();
        return running;
      },
    };
  },
};

/** Command lines for the sandboxed entry point; the test's body runs (for its checks) as the sandbox starts. */
const COMMANDS: Record<string, readonly string[]> = {
  work: ["true"],
  refused: ["true"],
  asked: ["true"],
  leak: ["echo", "key AKIAIOSFODNN7EXAMPLE"],
  fail_leak: ["sh", "-c", "echo failed with AKIAIOSFODNN7EXAMPLE >&2; exit 3"],
  hang: ["sleep", "30"],
};

const command: EntryPoint = {
  name: "session.command",
  needs: "bubblewrap",
  async open(policy, bodies) {
    const commands = Object.fromEntries(TOOLS.map((t) => [t, { timeout: "40s" }]));
    const withCommands = (p: object) => ({ ...p, sandbox: { commands } });
    const { warden, session, reload } = await localSession(withCommands(policy));
    const containment = warden.containment;
    const run = containment.run.bind(containment);
    const argsOf = new Map<string, Args>();
    // The body is the sandboxed process: the test's function marks the moment it starts.
    containment.run = (call, spec) => {
      void bodies[call.tool]!({ ...argsOf.get(call.tool)! }).catch(() => undefined);
      return run(call, spec);
    };
    const exec = (tool: string, args: Args, callId?: string) => {
      argsOf.set(tool, args);
      return session.command(tool, args, { command: COMMANDS[tool]! }, { callId });
    };
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
      reload: (next) => reload(withCommands(next)),
      askAgain: null,
      report: null,
      runChanged: null,
      replay: (tool, args, when) => {
        const callId = nextCallId();
        return twice(when, () => settle(() => exec(tool, args, callId)));
      },
      call: (tool, args) => settle(() => exec(tool, args)),
      callChanged: async (tool, args, changed, approve) => {
        const running = settle(() => exec(tool, args));
        await pendingApproval(warden);
        args.n = changed.n;
        await approve();
        return running;
      },
    };
  },
};

const checkAndOutcome: EntryPoint = {
  name: "session.check + recordOutcome",
  async open(policy, bodies) {
    const { warden, session, reload } = await localSession(policy);
    // The decisions check() took, for asking again how one stands.
    const decisions = new Map<string, { decision: GateDecision; args: Args }>();
    const run = async (tool: string, decidedArgs: Args, runArgs: Args, approve?: () => Promise<void>) => {
      let decision = await session.check(tool, decidedArgs);
      decisions.set(decision.callId, { decision, args: runArgs });
      if (decision.approval?.status === "pending") {
        const waiting = session.awaitApproval(decision, { args: runArgs });
        await approve?.();
        decision = await waiting;
      }
      if (decision.enforced !== "allow") {
        return { ok: false as const, code: decision.code ?? "TOOL_DENIED", text: decision.reason };
      }
      // The caller runs the tool itself, then reports.
      const started = performance.now();
      try {
        const value = await bodies[tool]!(runArgs);
        const reported = await session.recordOutcome(decision.callId, {
          status: "ok",
          result: value,
          durationMs: performance.now() - started,
        });
        // What the caller hands on is the screened result, or nothing when it was withheld.
        if (reported.status === "withheld") {
          return { ok: false as const, code: reported.error.code, text: reported.error.message };
        }
        return { ok: true as const, value: reported.status === "ok" ? reported.result : value };
      } catch (err) {
        await session.recordOutcome(decision.callId, { status: "error", error: err });
        return seenError(err);
      }
    };
    /** The caller runs the tool itself and reports its outcome. */
    const runAndReport = async (tool: string, callId: string, args: Args) => {
      const value = await bodies[tool]!(args);
      await session.recordOutcome(callId, { status: "ok", result: value });
      return value;
    };
    return {
      warden,
      session: async () => session.id,
      runs: "caller",
      reload,
      askAgain: async (callId) => {
        const { decision, args } = decisions.get(callId)!;
        return settle(() => session.awaitApproval(decision, { args }));
      },
      report: (callId) => settle(() => session.recordOutcome(callId, { status: "ok", result: "forged" })),
      // A check() decision handed to runChecked again (or after the caller reported it): it runs once.
      replay: async (tool, args, when) => {
        const decision = await session.check(tool, args);
        const runChecked = () => settle(() => session.runChecked(decision, args, () => bodies[tool]!(args)));
        if (when !== "after its report") return twice(when, runChecked);
        const reported = await settle(() => runAndReport(tool, decision.callId, args));
        return [reported, await runChecked()];
      },
      runChanged: async (tool, args, changed) => {
        const decision = await session.check(tool, args);
        return settle(() => session.runChecked(decision, changed, () => bodies[tool]!(changed)));
      },
      call: (tool, args) => settle(() => run(tool, args, args)).then(unwrap),
      callChanged: (tool, args, changed, approve) =>
        settle(() => run(tool, args, changed, approve)).then(unwrap),
    };
  },
};

function unwrap(seen: Seen): Seen {
  return seen.ok ? (seen.value as Seen) : seen;
}

const http: EntryPoint = {
  name: "HTTP /v1/decisions + outcome",
  async open(policy, bodies) {
    const { warden, reload } = await openLocal(policy);
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: IDENTITY.agent });
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const opened = await api("POST", "/v1/sessions", IDENTITY);
    const session = String(opened.body.id);
    const refusal = (body: Record<string, unknown>): Seen => {
      const error = body.error as { code: string; message: string };
      return { ok: false, code: error.code, text: error.message };
    };
    const report = async (callId: string, value: unknown): Promise<Seen> => {
      const reported = await api("POST", `/v1/calls/${callId}/outcome`, { status: "ok", result: value });
      if (reported.body.error) return refusal(reported.body);
      // The answer carries the result only when screening changed it, and says when it was withheld.
      if (reported.body.status === "withheld") return refusal(reported.body);
      return { ok: true, value: "result" in reported.body ? reported.body.result : value };
    };
    const run = async (tool: string, args: Args, callId?: string): Promise<Seen> => {
      const decided = await api("POST", "/v1/decisions", { session, tool, args, callId });
      if (decided.status !== 200) return refusal(decided.body);
      const decidedId = String(decided.body.callId);
      let decision = String(decided.body.decision);
      while (decision === "pending") {
        const state = await api("GET", `/v1/calls/${decidedId}?wait=30s`);
        if (state.status !== 200) {
          const error = state.body.error as { code: string; message: string };
          return { ok: false, code: error.code, text: error.message };
        }
        decision = String(state.body.decision);
        if (decision === "deny") return denied(state.body as HttpCallState);
      }
      if (decision !== "allow") {
        return {
          ok: false,
          code: String(decided.body.code ?? "TOOL_DENIED"),
          text: String(decided.body.reason),
        };
      }
      let value: unknown;
      try {
        value = await bodies[tool]!(args);
      } catch (err) {
        await api("POST", `/v1/calls/${decidedId}/outcome`, {
          status: "error",
          error: { code: "BODY_ERROR" },
        });
        return seenError(err);
      }
      return report(decidedId, value);
    };
    return {
      warden,
      session: async () => session,
      runs: "caller",
      call: run,
      callChanged: null,
      runChanged: null,
      reload,
      askAgain: async (callId) => {
        const state = await api("GET", `/v1/calls/${callId}`);
        if (state.status !== 200) return refusal(state.body);
        const { decision, code } = state.body as { decision: string; code: string | null };
        if (decision === "allow") return { ok: true, value: decision };
        return { ok: false, code: code ?? decision.toUpperCase(), text: decision };
      },
      report: (callId) => report(callId, "forged"),
      // The agent's own replays: the same call id decided again, or its outcome reported again.
      replay: async (tool, args, when) => {
        const callId = nextCallId();
        if (when === "after") return twice(when, () => run(tool, args, callId));
        const decided = await api("POST", "/v1/decisions", { session, tool, args, callId });
        expect(decided.body).toMatchObject({ decision: "allow" });
        const value = await bodies[tool]!(args);
        return twice(when === "at once" ? "at once" : "after", () => report(callId, value));
      },
    };
  },
};

type HttpCallState = {
  code: string | null;
  reason: string | null;
  approval: { status: string; closed: { reason: string } | null };
};

/**
 * A `deny` of GET /v1/calls/{id}: people denied the call (no code), its session ended while it waited
 * (`code: "SESSION_ENDED"`, the approval closed with the session's end as its reason), or a reloaded
 * policy refuses the approved call (`code: "TOOL_DENIED"`, with its reason).
 */
function denied(state: HttpCallState): Seen {
  if (state.code !== null) {
    return { ok: false, code: state.code, text: state.approval.closed?.reason ?? String(state.reason) };
  }
  return { ok: false, code: "APPROVAL_DENIED", text: "denied" };
}

/** The test's bodies behind a loopback HTTP endpoint the relay upstream server calls. */
async function bodyServer(bodies: Bodies): Promise<string> {
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => {
      raw += c.toString("utf8");
    });
    req.on("end", () => {
      const { tool, args } = JSON.parse(raw) as { tool: string; args: Args };
      bodies[tool]!(args).then(
        (value) =>
          res.end(JSON.stringify({ text: typeof value === "string" ? value : JSON.stringify(value) })),
        (err: unknown) => res.end(JSON.stringify({ text: String((err as Error).message), error: true })),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onCleanup(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function relaySpec(bodyUrl: string) {
  return {
    name: "relay",
    command: [process.execPath, RELAY],
    env: { BODY_URL: bodyUrl, TOOLS: TOOLS.join(",") },
    cwd: null,
    url: null,
    headers: {},
    sandbox: null,
  };
}

/** An MCP tool result as the model sees it: a refusal (isError with warden/code), an error, or the text. */
function seenResult(result: unknown): Seen {
  const r = result as { content?: { text?: string }[]; isError?: boolean; _meta?: Record<string, unknown> };
  const text = (r.content ?? []).map((c) => c.text ?? "").join("");
  const code = r._meta?.["warden/code"];
  if (typeof code === "string") return { ok: false, code, text };
  if (r.isError) return { ok: false, code: "TOOL_ERROR", text };
  return { ok: true, value: text };
}

async function mcpCall(client: Client, tool: string, args: Args, callId?: string): Promise<Seen> {
  const meta = callId === undefined ? {} : { _meta: { "warden/callId": callId } };
  try {
    return seenResult(
      await client.callTool({ name: tool, arguments: args, ...meta }, undefined, { timeout: 60_000 }),
    );
  } catch (err) {
    return { ok: false, code: "MCP_ERROR", text: String((err as Error).message) };
  }
}

/** An MCP call with a call id the client chose, made again. */
function mcpReplay(client: Client) {
  return (tool: string, args: Args, when: Replay) => {
    const callId = nextCallId();
    return twice(when, () => mcpCall(client, tool, args, callId));
  };
}

/** `warden mcp` over stdio, the real CLI process, on the same ledger file as the test's Warden. */
const mcpStdio: EntryPoint = {
  name: "warden mcp (stdio)",
  async open(policy, bodies) {
    const { warden, db, policyFile } = await openLocal(policy);
    const bodyUrl = await bodyServer(bodies);
    // The upstream gets only the variables its server entry names, as a user's config would give them.
    const servers = { relay: { command: [process.execPath, RELAY], env: relaySpec(bodyUrl).env } };
    const withServers = (p: object) => JSON.stringify({ ...p, mcp: { servers } });
    writeFileSync(policyFile, withServers(policy));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        CLI,
        "mcp",
        "--db",
        db,
        "--policy",
        policyFile,
        "--agent",
        IDENTITY.agent,
        "--on-behalf-of",
        IDENTITY.onBehalfOf,
        "--intent",
        IDENTITY.intent,
      ],
      stderr: "pipe",
    });
    // What the gateway process says (an outcome it could not record, a crash) is shown when a cell fails.
    const said: string[] = [];
    transport.stderr?.on("data", (chunk: Buffer) => said.push(chunk.toString()));
    onTestFailed(() => {
      if (said.length > 0) console.error(`warden mcp (stdio) stderr:\n${said.join("")}`);
    });
    const client = new Client({ name: "parity", version: "1.0.0" });
    await client.connect(transport);
    onCleanup(() => client.close());
    return {
      warden,
      session: async () => {
        const [start] = await warden.ledger.store.query({ kinds: ["session.start"], limit: 1 });
        return String(start?.session);
      },
      runs: "warden",
      call: (tool, args) => mcpCall(client, tool, args),
      callChanged: null,
      runChanged: null,
      replay: mcpReplay(client),
      askAgain: null,
      report: null,
      // The gateway process watches its policy file: its reload shows in the ledger.
      reload: async (next) => {
        const loads = async () => (await warden.ledger.store.query({ kinds: ["policy.load"] })).length;
        const before = await loads();
        writeFileSync(policyFile, withServers(next));
        for (let i = 0; (await loads()) === before; i++) {
          if (i > 500) throw new Error("warden mcp did not reload its policy");
          await new Promise((r) => setTimeout(r, 20));
        }
      },
    };
  },
};

/** `warden mcp --listen`: the gateway's Streamable HTTP front, with an agent token. */
const mcpHttp: EntryPoint = {
  name: "warden mcp --listen",
  async open(policy, bodies) {
    const { warden, reload } = await openLocal(policy);
    const bodyUrl = await bodyServer(bodies);
    const gateway = await McpGateway.create({
      warden,
      servers: [relaySpec(bodyUrl)],
      upstreamStderr: "ignore",
    });
    onCleanup(() => gateway.close());
    const listener = await gateway.listen({ port: 0 });
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: IDENTITY.agent });
    const transport = new StreamableHTTPClientTransport(new URL(listener.url), {
      requestInit: {
        headers: {
          authorization: `Bearer ${token}`,
          "x-warden-on-behalf-of": IDENTITY.onBehalfOf,
          "x-warden-intent": IDENTITY.intent,
        },
      },
    });
    const client = new Client({ name: "parity", version: "1.0.0" });
    await client.connect(transport);
    onCleanup(() => client.close());
    return {
      warden,
      session: async () => [...gateway.sessions][0]!.session.id,
      runs: "warden",
      call: (tool, args) => mcpCall(client, tool, args),
      callChanged: null,
      runChanged: null,
      replay: mcpReplay(client),
      askAgain: null,
      report: null,
      reload,
    };
  },
};

const aiSdk: EntryPoint = {
  name: "AI SDK adapter",
  async open(policy, bodies) {
    const { warden, session, reload } = await localSession(policy);
    const schema = z.object({ n: z.number() });
    const make = (approvalFlow: boolean) =>
      wardenTools(
        session,
        Object.fromEntries(
          TOOLS.map((t) => [
            t,
            aiTool({
              inputSchema: schema,
              execute: (args: Args) => bodies[t]!(args),
              ...(approvalFlow ? { needsApproval: false } : {}),
            }),
          ]),
        ),
      );
    const plain = make(false);
    const held = make(true);
    let n = 0;
    const opts = () => ({ toolCallId: `call_ai_${++n}`, messages: [] as never[] });
    type Execute = (input: Args, o: ReturnType<typeof opts>) => Promise<unknown>;
    type NeedsApproval = (input: Args, o: ReturnType<typeof opts>) => Promise<boolean>;
    /** The SDK's approval flow: Warden decides in needsApproval, the SDK executes the call later. */
    const decideAhead = async (tool: string, args: Args) => {
      const o = opts();
      await (held[tool]!.needsApproval as unknown as NeedsApproval)(args, o);
      return (input: Args) => settle(() => (held[tool]!.execute as Execute)(input, o));
    };
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
      reload,
      askAgain: null,
      report: null,
      // The SDK resumes a decided call again (its history sent back twice): same tool-call id.
      replay: async (tool, args, when) => {
        const execute = await decideAhead(tool, args);
        return twice(when, () => execute(args));
      },
      runChanged: async (tool, args, changed) => (await decideAhead(tool, args))(changed),
      call: (tool, args) => settle(() => (plain[tool]!.execute as Execute)(args, opts())),
      // The SDK's own approval flow: Warden decides in needsApproval, the SDK executes later.
      callChanged: async (tool, args, changed, approve) => {
        const o = opts();
        const t = held[tool]!;
        await (t.needsApproval as unknown as NeedsApproval)(args, o);
        const running = settle(() => (t.execute as Execute)(changed, o));
        await approve();
        return running;
      },
    };
  },
};

const openaiAgents: EntryPoint = {
  name: "OpenAI Agents adapter",
  async open(policy, bodies) {
    const { warden, session, reload } = await localSession(policy);
    const tools = wardenAgentTools(
      session,
      TOOLS.map((t) =>
        agentsTool({
          name: t,
          description: t,
          parameters: z.object({ n: z.number() }),
          execute: (args) => bodies[t]!(args),
        }),
      ),
    );
    const byName = new Map(tools.map((t) => [t.name, t]));
    const context = new RunContext();
    let n = 0;
    // What the Runner does for every function tool call: needsApproval, then (after any approval) invoke.
    const run = async (tool: string, decided: Args, ran: Args, approve?: () => Promise<void>) => {
      const t = byName.get(tool) as Extract<(typeof tools)[number], { type: "function" }>;
      const callId = `call_oa_${++n}`;
      // The Runner hands needsApproval the parsed arguments, invoke the JSON text.
      await t.needsApproval(context, decided, callId);
      const invoking = t.invoke(context, JSON.stringify(ran), {
        toolCall: { type: "function_call", callId, name: tool, arguments: JSON.stringify(ran) },
      });
      await approve?.();
      const out = await invoking;
      const text = typeof out === "string" ? out : JSON.stringify(out);
      return fromRefusalText(text) ?? ({ ok: true, value: out } as Seen);
    };
    /** needsApproval decides; the returned invoke runs the call as a resumed run would, any number of times. */
    const decideAhead = async (tool: string, args: Args) => {
      const t = byName.get(tool) as Extract<(typeof tools)[number], { type: "function" }>;
      const callId = `call_oa_${++n}`;
      await t.needsApproval(context, args, callId);
      return async (input: Args): Promise<Seen> => {
        const out = await t.invoke(context, JSON.stringify(input), {
          toolCall: { type: "function_call", callId, name: tool, arguments: JSON.stringify(input) },
        });
        const text = typeof out === "string" ? out : JSON.stringify(out);
        return fromRefusalText(text) ?? { ok: true, value: out };
      };
    };
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
      reload,
      askAgain: null,
      report: null,
      // A run resumed twice from one state: the decided call is invoked again under its call id.
      replay: async (tool, args, when) => {
        const invoke = await decideAhead(tool, args);
        return twice(when, () => settle(() => invoke(args)).then(unwrap));
      },
      runChanged: async (tool, args, changed) =>
        settle(async () => (await decideAhead(tool, args))(changed)).then(unwrap),
      call: (tool, args) => settle(() => run(tool, args, args)).then(unwrap),
      callChanged: (tool, args, changed, approve) =>
        settle(() => run(tool, args, changed, approve)).then(unwrap),
    };
  },
};

const langchain: EntryPoint = {
  name: "LangChain adapter",
  async open(policy, bodies) {
    const { warden, session, reload } = await localSession(policy);
    const tools = wardenLangChainTools(
      session,
      TOOLS.map((t) =>
        langchainTool(async (args: Args) => JSON.stringify(await bodies[t]!(args)), {
          name: t,
          schema: z.object({ n: z.number() }),
        }),
      ),
    );
    const byName = new Map(tools.map((t) => [t.name, t]));
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
      call: (tool, args) => settle(() => byName.get(tool as (typeof TOOLS)[number])!.invoke(args)),
      callChanged: null,
      runChanged: null,
      reload,
      askAgain: null,
      report: null,
      // The same tool call (its id) invoked again, as a graph replaying a step would.
      replay: (tool, args, when) => {
        const toolCall = { id: nextCallId(), name: tool, args, type: "tool_call" as const };
        const gated = byName.get(tool as (typeof TOOLS)[number])!;
        return twice(when, () => settle(() => gated.invoke(toolCall)).then(fromToolMessage));
      },
    };
  },
};

export const ENTRY_POINTS: readonly EntryPoint[] = [
  guard,
  decorated,
  command,
  checkAndOutcome,
  http,
  mcpStdio,
  mcpHttp,
  aiSdk,
  openaiAgents,
  langchain,
];
