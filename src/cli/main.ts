// The `warden` command: a thin dispatcher; every command is a function in its own file.

import { readFileSync } from "node:fs";
import { alertsCommand } from "./alerts.js";
import { approvalsCommand, approveCommand, denyCommand } from "./approvals.js";
import { backupCommand } from "./backup.js";
import { canaryCommand } from "./canary.js";
import { dbCommand } from "./db.js";
import { exportCommand } from "./export.js";
import { initCommand } from "./init.js";
import type { CliIO, Command } from "./io.js";
import { keyCommand } from "./key.js";
import { logCommand, sessionsCommand } from "./log.js";
import { mcpCommand } from "./mcp.js";
import { policyCommand } from "./policy.js";
import { pruneCommand } from "./prune.js";
import { scanCommand } from "./scan.js";
import { startCommand } from "./start.js";
import { didYouMean } from "./suggest.js";
import { tokenCommand } from "./token.js";
import { verifyCommand } from "./verify.js";
import { whoCommand } from "./who.js";

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  init: { run: initCommand, summary: "create .warden/ with an example policy, keys and the ledger" },
  start: { run: startCommand, summary: "serve the HTTP decision API" },
  policy: { run: policyCommand, summary: "check | eval | test | replay a policy file" },
  verify: { run: verifyCommand, summary: "verify the ledger's hash chain and signed checkpoints" },
  backup: { run: backupCommand, summary: "a consistent copy of a live SQLite ledger (WAL included)" },
  key: { run: keyCommand, summary: "rotate the ledger's signing key (lost or retired)" },
  export: { run: exportCommand, summary: "export the ledger as verifiable JSON lines" },
  prune: { run: pruneCommand, summary: "remove archived records from a SQLite ledger up to a checkpoint" },
  log: { run: logCommand, summary: "list ledger records" },
  sessions: { run: sessionsCommand, summary: "list sessions" },
  who: { run: whoCommand, summary: "print the accountability chain of a call" },
  alerts: { run: alertsCommand, summary: "list detection alerts and the calls that caused them" },
  canary: { run: canaryCommand, summary: "create | add | list canary tokens (bait values that trip a deny)" },
  approvals: { run: approvalsCommand, summary: "list pending approvals (--all: decided ones too)" },
  approve: { run: approveCommand, summary: "approve a pending call (--remember session|1h)" },
  deny: { run: denyCommand, summary: "deny a pending call with --reason (the agent reads it)" },
  token: { run: tokenCommand, summary: "create | list | revoke bearer tokens for the HTTP API" },
  db: { run: dbCommand, summary: "migrate the PostgreSQL ledger schema" },
  mcp: { run: mcpCommand, summary: "MCP gateway: gate every tool call of MCP servers (stdio or HTTP)" },
  scan: { run: scanCommand, summary: "supply-chain and code checks (npm, Python, MCP, agent tools)" },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: warden <command> [options]   (warden <command> --help for its options)
       warden -v | --version

${lines.join("\n")}

Exit codes: 0 success, 1 a finding or failure (see each command), 2 a usage error or a missing file.
Where an option names an output FILE, - means standard output.`;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(help());
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout(help());
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    io.stdout(pkg.version);
    return 0;
  }
  // Own keys only: "constructor" is no command.
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    const hint = didYouMean(name, Object.keys(COMMANDS));
    io.stderr(`warden: unknown command "${name}"${hint}\n\nRun warden --help for the list of commands.`);
    return 2;
  }
  return command.run(rest, io);
}
