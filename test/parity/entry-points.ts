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
import { z } from "zod";
import { wardenTools } from "../../src/adapters/ai-sdk/index.js";
import { wardenLangChainTools } from "../../src/adapters/langchain/index.js";
import { McpGateway } from "../../src/adapters/mcp/index.js";
import { wardenAgentTools } from "../../src/adapters/openai-agents/index.js";
import { guarded, Warden, WardenError } from "../../src/index.js";
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
}

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

async function openLocal(policy: object) {
  const dir = tempDir();
  const db = `${dir}/ledger.db`;
  const warden = await Warden.open({ policy: policy as Record<string, unknown>, db });
  onCleanup(() => warden.close());
  return { warden, db, dir };
}

async function localSession(policy: object) {
  const { warden } = await openLocal(policy);
  const session = await warden.session(IDENTITY);
  return { warden, session };
}

const guard: EntryPoint = {
  name: "session.guard",
  async open(policy, bodies) {
    const { warden, session } = await localSession(policy);
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
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
    const { warden, session } = await localSession(policy);
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
    const { warden, session } = await localSession({ ...policy, sandbox: { commands } });
    const containment = warden.containment;
    const run = containment.run.bind(containment);
    const argsOf = new Map<string, Args>();
    // The body is the sandboxed process: the test's function marks the moment it starts.
    containment.run = (call, spec) => {
      void bodies[call.tool]!({ ...argsOf.get(call.tool)! }).catch(() => undefined);
      return run(call, spec);
    };
    const exec = (tool: string, args: Args) => {
      argsOf.set(tool, args);
      return session.command(tool, args, { command: COMMANDS[tool]! });
    };
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
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
    const { warden, session } = await localSession(policy);
    const run = async (tool: string, decidedArgs: Args, runArgs: Args, approve?: () => Promise<void>) => {
      let decision = await session.check(tool, decidedArgs);
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
    return {
      warden,
      session: async () => session.id,
      runs: "caller",
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
    const { warden } = await openLocal(policy);
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
    const run = async (tool: string, args: Args): Promise<Seen> => {
      const decided = await api("POST", "/v1/decisions", { session, tool, args });
      if (decided.status !== 200) {
        const error = decided.body.error as { code: string; message: string };
        return { ok: false, code: error.code, text: error.message };
      }
      const callId = String(decided.body.callId);
      let decision = String(decided.body.decision);
      while (decision === "pending") {
        const state = await api("GET", `/v1/calls/${callId}?wait=30s`);
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
      try {
        const value = await bodies[tool]!(args);
        const reported = await api("POST", `/v1/calls/${callId}/outcome`, { status: "ok", result: value });
        // The answer carries the result only when screening changed it, and says when it was withheld.
        if (reported.body.status === "withheld") {
          const error = reported.body.error as { code: string; message: string };
          return { ok: false, code: error.code, text: error.message };
        }
        return { ok: true, value: "result" in reported.body ? reported.body.result : value };
      } catch (err) {
        await api("POST", `/v1/calls/${callId}/outcome`, { status: "error", error: { code: "BODY_ERROR" } });
        return seenError(err);
      }
    };
    return { warden, session: async () => session, runs: "caller", call: run, callChanged: null };
  },
};

type HttpCallState = {
  code: string | null;
  approval: { status: string; closed: { reason: string } | null };
};

/**
 * A `deny` of GET /v1/calls/{id}: people denied the call (no code), or its session ended while it
 * waited (`code: "SESSION_ENDED"`, the approval closed with the session's end as its reason).
 */
function denied(state: HttpCallState): Seen {
  if (state.code !== null) return { ok: false, code: state.code, text: state.approval.closed!.reason };
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

async function mcpCall(client: Client, tool: string, args: Args): Promise<Seen> {
  try {
    return seenResult(await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 60_000 }));
  } catch (err) {
    return { ok: false, code: "MCP_ERROR", text: String((err as Error).message) };
  }
}

/** `warden mcp` over stdio, the real CLI process, on the same ledger file as the test's Warden. */
const mcpStdio: EntryPoint = {
  name: "warden mcp (stdio)",
  async open(policy, bodies) {
    const { warden, dir, db } = await openLocal(policy);
    const bodyUrl = await bodyServer(bodies);
    const policyFile = `${dir}/policy.json`;
    // The upstream gets only the variables its server entry names, as a user's config would give them.
    const servers = { relay: { command: [process.execPath, RELAY], env: relaySpec(bodyUrl).env } };
    writeFileSync(policyFile, JSON.stringify({ ...policy, mcp: { servers } }));
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
      stderr: "ignore",
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
    };
  },
};

/** `warden mcp --listen`: the gateway's Streamable HTTP front, with an agent token. */
const mcpHttp: EntryPoint = {
  name: "warden mcp --listen",
  async open(policy, bodies) {
    const { warden } = await openLocal(policy);
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
    };
  },
};

const aiSdk: EntryPoint = {
  name: "AI SDK adapter",
  async open(policy, bodies) {
    const { warden, session } = await localSession(policy);
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
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
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
    const { warden, session } = await localSession(policy);
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
    return {
      warden,
      session: async () => session.id,
      runs: "warden",
      call: (tool, args) => settle(() => run(tool, args, args)).then(unwrap),
      callChanged: (tool, args, changed, approve) =>
        settle(() => run(tool, args, changed, approve)).then(unwrap),
    };
  },
};

const langchain: EntryPoint = {
  name: "LangChain adapter",
  async open(policy, bodies) {
    const { warden, session } = await localSession(policy);
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
