import { existsSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import { cli, initAndOpen } from "./run-cli.js";

let cwd: string;
let callIds: string[];

/** A ledger with a little history: allowed and denied calls of a support bot. */
async function seed() {
  const warden = await initAndOpen(cwd);
  const session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "answer ticket #123",
  });
  const read = session.guard("read_ticket", async (a: { id: number }) => `ticket ${a.id}`);
  await read.with({ rationale: "user asked", callId: "call-read-1" })({ id: 1 });
  await session.check("execute_shell", { command: "ls" }, { callId: "call-shell-1" });
  await session.end();
  await warden.close();
  callIds = ["call-read-1", "call-shell-1"];
}

beforeEach(() => {
  cwd = tempDir();
});

describe("warden CLI", () => {
  it("prints help and refuses unknown commands with exit 2", async () => {
    expect((await cli(["--help"], cwd)).stdout).toContain("verify");
    expect((await cli(["bogus"], cwd)).code).toBe(2);
    expect((await cli(["log", "--bogus"], cwd)).code).toBe(2);
  });

  it("every command and sub-command answers --help with its usage and exit 0", async () => {
    const commands = [
      ...["init", "start", "verify", "backup", "export", "prune", "log", "sessions", "who", "alerts"],
      ...["approvals", "approve", "deny", "scan"],
      ...["policy check", "policy eval", "policy test", "policy replay", "key rotate", "db migrate"],
      ...["canary create", "canary add", "canary list", "token create", "token list", "token revoke"],
      ...["mcp wrap", "mcp unwrap", "mcp tools", "mcp approve"],
    ];
    for (const command of commands) {
      const run = await cli([...command.split(" "), "--help"], cwd);
      expect({ command, code: run.code, stderr: run.stderr }).toEqual({ command, code: 0, stderr: "" });
      expect(run.stdout, command).toMatch(/^usage: warden /);
    }
  });

  it("init creates the folder, key pair (0600) and ledger, and keeps what exists", async () => {
    const first = await cli(["init"], cwd);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("ledger.key");
    const { statSync } = await import("node:fs");
    expect(statSync(join(cwd, ".warden/ledger.key")).mode & 0o777).toBe(0o600);
    expect((await cli(["init"], cwd)).stdout).toContain("nothing to do");
  });

  it("verify passes on an intact ledger and names the first bad record after tampering", async () => {
    await seed();
    const ok = await cli(["verify"], cwd);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/OK .* \d+ records/);
    expect(ok.stdout).toContain("public key stored beside the ledger");
    const withKey = await cli(["verify", "--key", join(cwd, ".warden/ledger.pub")], cwd);
    expect(withKey.code).toBe(0);
    expect(withKey.stdout).not.toContain("stored beside");

    const db = new Database(join(cwd, ".warden/ledger.db"));
    db.prepare("UPDATE records SET data = replace(data, 'ls', 'rm') WHERE call_id = 'call-shell-1'").run();
    db.close();
    const bad = await cli(["verify", "--json"], cwd);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, seq: expect.any(Number) });
  });

  it("export writes JSON lines that verify --jsonl accepts", async () => {
    await seed();
    const out = join(cwd, "ledger.jsonl");
    expect((await cli(["export", "--jsonl", out], cwd)).code).toBe(0);
    expect((await cli(["verify", "--jsonl", out], cwd)).code).toBe(0);
    const { readFileSync } = await import("node:fs");
    const lines = readFileSync(out, "utf8").trim().split("\n");
    lines.splice(3, 1);
    writeFileSync(out, `${lines.join("\n")}\n`);
    expect((await cli(["verify", "--jsonl", out], cwd)).code).toBe(1);
  });

  it("export signs with the new key when a rotation was cut short after its record committed", async () => {
    await seed();
    expect((await cli(["key", "rotate", "--reason", "leaked"], cwd)).code).toBe(0);
    // Put the files back as a crash after the commit leaves them: the new pair staged, the old in place.
    const dir = join(cwd, ".warden");
    const retired = readdirSync(dir).filter((f) => f.startsWith("ledger.retired-"));
    for (const ext of ["key", "pub"]) {
      renameSync(join(dir, `ledger.${ext}`), join(dir, `ledger.next.${ext}`));
      renameSync(join(dir, retired.find((f) => f.endsWith(`.${ext}`))!), join(dir, `ledger.${ext}`));
    }
    const out = join(cwd, "ledger.jsonl");
    expect((await cli(["export", "--jsonl", out], cwd)).code).toBe(0);
    expect(existsSync(join(dir, "ledger.next.key"))).toBe(false);
    const verified = await cli(["verify", "--jsonl", out], cwd);
    expect(verified.code).toBe(0);
  });

  it("log, sessions and who read the history back", async () => {
    await seed();
    const log = await cli(["log", "--decision", "deny", "--json"], cwd);
    const denied = log.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(denied.map((r) => r.callId)).toEqual(["call-shell-1"]);
    expect((await cli(["log", "--tool", "read_ticket"], cwd)).stdout).toContain("call-read-1");
    expect((await cli(["log", "--since", "1h"], cwd)).stdout.trim().split("\n").length).toBeGreaterThan(3);
    expect((await cli(["log", "--since", "yesterday-ish"], cwd)).code).toBe(2);
    // An age reaching before the earliest date is a usage error too, not "Invalid time value".
    const tooFar = await cli(["log", "--since", "9999999999999d"], cwd);
    expect(tooFar.code).toBe(2);
    expect(tooFar.stderr).not.toMatch(/Invalid time value/);
    expect((await cli(["sessions"], cwd)).stdout).toContain("answer ticket #123");
    const who = await cli(["who", callIds[0]!], cwd);
    expect(who.code).toBe(0);
    for (const part of [
      "alice@example.com",
      "support-bot",
      "answer ticket #123",
      "read_ticket",
      "user asked",
      "sha256:",
    ]) {
      expect(who.stdout).toContain(part);
    }
    expect((await cli(["who", "call-missing"], cwd)).code).toBe(1);
    // An error quoting what was given (or what a ledger holds) prints it with its controls escaped.
    const quoted = await cli(["who", "call-\u001b[2J\u202e"], cwd);
    expect(quoted.code).toBe(1);
    expect(quoted.stderr).toContain("call-\\u001b[2J\\u202e");
    expect(quoted.stderr).not.toMatch(/[\p{Cc}\p{Cf}](?<!\n)/u);
  });

  it("who escapes what agents wrote: a rationale cannot forge a line or drive the terminal", async () => {
    const warden = await initAndOpen(cwd);
    const session = await warden.session({
      agent: "support-bot",
      onBehalfOf: "alice@example.com",
      intent: "x",
    });
    const read = session.guard("read_ticket", async (_a: Record<string, unknown>) => "ok");
    const rationale = "fine\n  approver      approve by ciso@example.com\u001b[2J\u202e";
    await read.with({ rationale, callId: "call-forged" })({ id: 1, note: "\u009b31m" });
    await warden.close();
    const who = await cli(["who", "call-forged"], cwd);
    expect(who.code).toBe(0);
    expect(who.stdout.split("\n").filter((l) => /[\p{Cc}\p{Cf}]/u.test(l))).toEqual([]);
    expect(who.stdout.split("\n").filter((l) => l.trimStart().startsWith("approver"))).toEqual([
      "  approver      (none)",
    ]);
    expect(who.stdout).toContain("fine\\u000a  approver      approve by ciso@example.com\\u001b[2J\\u202e");
    expect(who.stdout).toContain("\\u009b31m");
  });

  it("token create prints a token once and stores only its digest", async () => {
    await cli(["init"], cwd);
    const made = await cli(["token", "create", "--role", "agent", "--agent", "support-bot"], cwd);
    expect(made.code).toBe(0);
    const [id, token] = made.stdout.trim().split("\t");
    expect(id).toMatch(/^tok_/);
    expect(token).toMatch(/^wdn_/);
    const db = new Database(join(cwd, ".warden/ledger.db"), { readonly: true });
    const dump = JSON.stringify(db.prepare("SELECT * FROM tokens").all());
    db.close();
    expect(dump).not.toContain(token);
    expect((await cli(["token", "create", "--role", "agent"], cwd)).code).toBe(2);
    expect((await cli(["token", "create", "--role", "root"], cwd)).code).toBe(2);
  });
});

describe("warden policy", () => {
  it("check lists every problem with file:line:column and exits 2", async () => {
    const file = join(cwd, "bad.yaml");
    writeFileSync(
      file,
      [
        "rules:",
        "  - id: a",
        "    tools: [x]",
        "    decision: maybe",
        "  - id: a",
        "    tools: ['bad glob[']",
        "    decision: deny",
        "    when: 'args.x =='",
        "bogus: 1",
        "",
      ].join("\n"),
    );
    const res = await cli(["policy", "check", file], cwd);
    expect(res.code).toBe(2);
    const lines = res.stderr.split("\n").filter((l) => l.startsWith(file));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line).toMatch(/:\d+:\d+: /);
    expect(res.stderr).toContain(`${file}:4:`);
    expect(res.stderr).toContain(`${file}:9:1`);
  });

  it("check and test accept the example policy; eval prints the decision and its rule", async () => {
    await cli(["init"], cwd);
    const policy = join(cwd, ".warden/policy.yaml");
    expect((await cli(["policy", "check", policy], cwd)).code).toBe(0);
    const tests = await cli(["policy", "test", policy], cwd);
    expect(tests.code).toBe(0);
    expect(tests.stdout).toMatch(/\d+ passed, 0 failed/);
    const evaluated = await cli(
      [
        "policy",
        "eval",
        policy,
        "--agent",
        "support-bot",
        "--tool",
        "execute_shell",
        "--args",
        "{}",
        "--json",
      ],
      cwd,
    );
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ effect: "deny" });
  });

  it("test exits 1 on a missed expectation", async () => {
    const file = join(cwd, "p.json");
    writeFileSync(
      file,
      JSON.stringify({
        allowed_tools: ["a"],
        tests: [
          { name: "a allowed", agent: "x", tool: "a", expect: "allow" },
          { name: "b allowed (wrong)", agent: "x", tool: "b", expect: "allow" },
        ],
      }),
    );
    const res = await cli(["policy", "test", file], cwd);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("1 passed, 1 failed");
  });

  it("replay shows which past decisions a candidate policy would change", async () => {
    await seed();
    const candidate = join(cwd, "candidate.json");
    writeFileSync(
      candidate,
      JSON.stringify({ allowed_tools: ["execute_shell"], blocked_tools: ["read_ticket"] }),
    );
    const res = await cli(["policy", "replay", candidate, "--since", "7d", "--json"], cwd);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    const changed = report.changed.map((c: { callId: string }) => c.callId).sort();
    expect(changed).toEqual(["call-read-1", "call-shell-1"]);
  });
});
