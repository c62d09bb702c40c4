// Baselines for the MCP benchmark: the least a stdio relay in Node can do, so Warden's figure can be read
// against what one more process hop and one durable commit cost on this machine.
//   node relay-child.js bytes   -- CMD ARGS…   pipes bytes both ways, parses nothing
//   node relay-child.js durable -- CMD ARGS…   parses each line and commits every tools/call request to
//                                               SQLite (WAL, synchronous=FULL, one table, no index) before
//                                               forwarding it: no validation, no policy, no hash chain
//   node relay-child.js sdk     -- CMD ARGS…   the same commit, with the MCP SDK's Server and Client on
//                                               the two sides (as the gateway has them) instead of raw lines
//   node relay-child.js ledger  -- CMD ARGS…   the SDK relay writing Warden's own two records per call
//                                               through its Ledger (the intent before forwarding, the outcome
//                                               joining the next commit): the ledger's share without the gate
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { ResultSchema } from "@modelcontextprotocol/sdk/types.js";
import Database from "better-sqlite3";
import { digestJson } from "../src/digest.js";
import { Ledger, SqliteStore } from "../src/ledger/index.js";

const [mode, dashes, command, ...args] = process.argv.slice(2);
if (!["bytes", "durable", "sdk", "ledger"].includes(mode ?? "") || dashes !== "--" || command === undefined) {
  process.stderr.write("usage: relay-child.js bytes|durable|sdk|ledger -- COMMAND [ARGS…]\n");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "warden-bench-relay-"));
const done = () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};

if (mode === "sdk") await sdkRelay(command, args, durableCall());
else if (mode === "ledger") await sdkRelay(command, args, await ledgerCall());
else rawRelay(command, args);

function durableLog(): (line: string) => void {
  const db = new Database(join(dir, "relay.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE calls (seq INTEGER PRIMARY KEY, line TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO calls (line) VALUES (?)");
  return (line) => insert.run(line);
}

function rawRelay(command: string, args: string[]): void {
  const server = spawn(command, args, { stdio: ["pipe", "pipe", "ignore"] });
  server.on("exit", done);
  process.stdin.on("end", () => server.stdin.end());
  if (mode === "bytes") {
    process.stdin.pipe(server.stdin);
    server.stdout.pipe(process.stdout);
    return;
  }
  const log = durableLog();
  lines(process.stdin, (line) => {
    const message = JSON.parse(line) as { method?: unknown };
    if (message.method === "tools/call") log(line);
    server.stdin.write(`${line}\n`);
  });
  lines(server.stdout, (line) => process.stdout.write(`${line}\n`));
}

/** What the SDK relay does around a forwarded `tools/call`: before it, and once its result is on its way. */
interface CallRecorder {
  before: (params: Record<string, unknown> | undefined) => Promise<unknown>;
  after: (token: unknown, result: unknown) => void;
}

function durableCall(): CallRecorder {
  const log = durableLog();
  return {
    before: async (params) => log(JSON.stringify({ method: "tools/call", params })),
    after: () => undefined,
  };
}

/** The records `warden mcp` writes for an allowed call, as its gate shapes them, through Warden's Ledger. */
async function ledgerCall(): Promise<CallRecorder> {
  const store = await SqliteStore.open(join(dir, "ledger.db"));
  const ledger = await Ledger.open({ store, signingKey: generateKeyPairSync("ed25519").privateKey });
  let n = 0;
  return {
    before: async (params) => {
      const callId = `call_bench${++n}`;
      await ledger.append({
        kind: "call.intent",
        session: "ses_bench",
        agent: "bench",
        callId,
        data: {
          tool: String(params?.name),
          args: (params?.arguments ?? {}) as Record<string, never>,
          redacted: [],
          rationale: null,
          intent: "bench",
          principal: [{ kind: "user", id: "bench" }],
          decision: { effect: "allow", enforced: "allow", ruleId: "default", reason: "default", code: null },
          mode: "enforce",
          policy: "sha256:0",
        },
      });
      return { callId, tool: String(params?.name), started: performance.now() };
    },
    after: (token, result) => {
      const { callId, tool, started } = token as { callId: string; tool: string; started: number };
      const durationMs = performance.now() - started;
      setImmediate(() => {
        void ledger.append(
          {
            kind: "call.outcome",
            session: "ses_bench",
            agent: "bench",
            callId,
            data: { tool, status: "ok", durationMs, result: digestJson(result), error: null },
          },
          { batch: "next" },
        );
      });
    },
  };
}

async function sdkRelay(command: string, args: string[], recorder: CallRecorder): Promise<void> {
  const upstream = new Client({ name: "relay", version: "1" });
  await upstream.connect(new StdioClientTransport({ command, args, stderr: "ignore" }));
  const relay = new Server(upstream.getServerVersion() ?? { name: "relay", version: "1" }, {
    capabilities: upstream.getServerCapabilities() ?? {},
  });
  relay.fallbackRequestHandler = async (request, extra) => {
    const forward = () =>
      upstream.request({ method: request.method, params: request.params }, ResultSchema, {
        signal: extra.signal,
      });
    if (request.method !== "tools/call") return forward();
    const token = await recorder.before(request.params);
    const result = await forward();
    recorder.after(token, result);
    return result;
  };
  relay.onclose = () => void upstream.close().then(done);
  await relay.connect(new StdioServerTransport());
}

function lines(stream: Readable, onLine: (line: string) => void): void {
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() !== "") onLine(line);
    }
  });
}
