// Baselines for the MCP benchmark: the least a stdio relay in Node can do, so Warden's figure can be read
// against what one more process hop and one durable commit cost on this machine.
//   node relay-child.js bytes   -- CMD ARGS…   pipes bytes both ways, parses nothing
//   node relay-child.js durable -- CMD ARGS…   parses each line and commits every tools/call request to
//                                               SQLite (WAL, synchronous=FULL, one table, no index) before
//                                               forwarding it: no validation, no policy, no hash chain
//   node relay-child.js sdk     -- CMD ARGS…   the same commit, with the MCP SDK's Server and Client on
//                                               the two sides (as the gateway has them) instead of raw lines
import { spawn } from "node:child_process";
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

const [mode, dashes, command, ...args] = process.argv.slice(2);
if (!["bytes", "durable", "sdk"].includes(mode ?? "") || dashes !== "--" || command === undefined) {
  process.stderr.write("usage: relay-child.js bytes|durable|sdk -- COMMAND [ARGS…]\n");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "warden-bench-relay-"));
const done = () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};

if (mode === "sdk") await sdkRelay(command, args);
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

async function sdkRelay(command: string, args: string[]): Promise<void> {
  const log = durableLog();
  const upstream = new Client({ name: "relay", version: "1" });
  await upstream.connect(new StdioClientTransport({ command, args, stderr: "ignore" }));
  const relay = new Server(upstream.getServerVersion() ?? { name: "relay", version: "1" }, {
    capabilities: upstream.getServerCapabilities() ?? {},
  });
  relay.fallbackRequestHandler = async (request, extra) => {
    if (request.method === "tools/call") log(JSON.stringify(request));
    return upstream.request({ method: request.method, params: request.params }, ResultSchema, {
      signal: extra.signal,
    });
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
