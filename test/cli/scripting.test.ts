// The CLI in scripts and CI: nothing created unless asked, exit codes, "did you mean", `-` as stdout,
// policy test reports with file and line, and the plain-text outputs people read.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { progressBar } from "../../src/cli/progress.js";
import { verifyJsonl } from "../../src/ledger/index.js";
import { tempDir } from "../helpers.js";
import { cli, initAndOpen } from "./run-cli.js";

let cwd: string;

/** Every file and folder under `root`, sorted: what a refused command must leave as it found it. */
function tree(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" }).sort();
}

beforeEach(() => {
  cwd = tempDir();
});

/** A ledger with one asked call that an approver then approved, remembering it for the session. */
async function seedApproval(): Promise<string> {
  const warden = await initAndOpen(cwd);
  const session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "carol@example.com",
    intent: "t",
  });
  const asked = await session.check("send_email", { to: "eve@outside.example", subject: "s", body: "b" });
  await warden.close();
  const id = asked.approval!.id;
  const approved = await cli(
    ["approve", id, "--remember", "session", "--reason", "customer asked", "--as", "ann"],
    cwd,
  );
  expect(approved.code).toBe(0);
  return id;
}

describe("nothing is created unless asked", () => {
  it("start with a --db or --dir that names nothing exits 2, names the path and creates nothing", async () => {
    expect((await cli(["init"], cwd)).code).toBe(0);
    const typo = join(cwd, "typo", "l.db");
    const started = await cli(["start", "--port", "0", "--db", typo], cwd);
    expect(started.code).toBe(2);
    expect(started.stderr).toContain(`no ledger at ${typo}`);
    expect(existsSync(join(cwd, "typo"))).toBe(false);

    const dir = join(cwd, "elsewhere");
    const inDir = await cli(["start", "--port", "0", "--dir", dir], cwd);
    expect(inDir.code).toBe(2);
    expect(inDir.stderr).toContain(join(dir, "policy.yaml"));
    expect(existsSync(dir)).toBe(false);

    // canary writes through a Warden too: same rule.
    const canary = await cli(["canary", "create", "--kind", "email", "--db", typo], cwd);
    expect(canary.code).toBe(2);
    expect(existsSync(join(cwd, "typo"))).toBe(false);
  });

  it("every command that takes --db or --dir refuses a path that names nothing: exit 2, the path named, nothing created", async () => {
    expect((await cli(["init"], cwd)).code).toBe(0);
    writeFileSync(join(cwd, "archive.jsonl"), ""); // prune checks its archive before the ledger
    const policy = join(cwd, ".warden", "policy.yaml");
    const commands = [
      ["start", "--port", "0"],
      ["canary", "create", "--kind", "email"],
      ["canary", "list"],
      ["mcp"],
      ["mcp", "--", process.execPath, "server.js"],
      ["mcp", "tools"],
      ["mcp", "approve", "files", "read_file"],
      ["verify"],
      ["export", "--jsonl", "-"],
      ["backup", "--to", join(cwd, "copy.db")],
      ["prune", "--through", "1", "--archive", join(cwd, "archive.jsonl")],
      ["key", "rotate", "--reason", "lost"],
      ["log"],
      ["sessions"],
      ["who", "c-1"],
      ["alerts"],
      ["approvals"],
      ["approve", "a-1"],
      ["deny", "a-1", "--reason", "no"],
      ["token", "create", "--role", "admin"],
      ["token", "list"],
      ["token", "revoke", "t-1"],
      ["policy", "replay", policy],
    ];
    const before = tree(cwd);
    const db = join(cwd, "typo", "l.db");
    const dir = join(cwd, "nowhere");
    const refused = [];
    for (const args of commands) {
      for (const [flag, path] of [
        ["--db", db],
        ["--dir", dir],
      ] as const) {
        // --dir names the folder's policy (start, mcp: checked first) or its ledger: both are in it.
        const dash = args.indexOf("--");
        const own = dash === -1 ? args : args.slice(0, dash);
        const run = await cli([...own, flag, path, ...args.slice(own.length)], cwd);
        refused.push({ args, flag, code: run.code, named: run.stderr.includes(path) });
      }
    }
    expect(refused).toEqual(refused.map(({ args, flag }) => ({ args, flag, code: 2, named: true })));
    expect(tree(cwd)).toEqual(before);
  });

  it("mcp: a ledger that is not there is refused; --init creates it but never a policy", async () => {
    const dir = join(cwd, "project");
    mkdirSync(dir);
    writeFileSync(join(dir, "policy.yaml"), '{"default": "allow"}');
    const bare = await cli(["mcp", "--dir", dir], cwd);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(`no ledger at ${join(dir, "ledger.db")}`);
    expect(bare.stderr).toContain("--init");
    expect(tree(dir)).toEqual(["policy.yaml"]);

    // --init with no policy: refused before anything is made, naming the policy.
    const empty = join(cwd, "empty");
    const noPolicy = await cli(["mcp", "--dir", empty, "--init"], cwd);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.stderr).toContain(`no policy at ${join(empty, "policy.yaml")}`);
    expect(existsSync(empty)).toBe(false);

    // PostgreSQL: the shared signing key must be there; refused before any connection.
    const pg = await cli(
      ["mcp", "--db", "postgres://127.0.0.1:5432/test", "--dir", empty, "--policy", join(dir, "policy.yaml")],
      cwd,
    );
    expect(pg.code).toBe(2);
    expect(pg.stderr).toContain(`no signing key at ${join(empty, "ledger.key")}`);
    expect(existsSync(empty)).toBe(false);

    expect((await cli(["mcp", "--help"], cwd)).stdout).toMatch(/--init\s+create the ledger/);
  });

  it("start --init creates what is missing and serves", async () => {
    const dir = join(cwd, "new");
    let out = "";
    const running = main(["start", "--port", "0", "--dir", dir, "--init"], {
      stdout: (t) => {
        out += `${t}\n`;
      },
      stderr: (t) => {
        out += `${t}\n`;
      },
      cwd,
      env: {},
    });
    for (let i = 0; i < 400 && !out.includes("listening on"); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(out).toContain(`created ${join(dir, "ledger.db")}`);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    process.emit("SIGTERM");
    expect(await running).toBe(0);
    expect(existsSync(join(dir, "admin.token"))).toBe(false);
  });
});

describe("usage", () => {
  it("-v prints the version; unknown commands, sub-commands and options get a suggestion and exit 2", async () => {
    const version = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")).version;
    expect(await cli(["-v"], cwd)).toMatchObject({ code: 0, stdout: `${version}\n` });
    const command = await cli(["verfy"], cwd);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("did you mean verify?");
    const option = await cli(["log", "--jsn"], cwd);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("did you mean --json?");
    const sub = await cli(["policy", "chek", "x.yaml"], cwd);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("did you mean check?");
    const scan = await cli(["scan", "--sarff", "x"], cwd);
    expect(scan.code).toBe(2);
    expect(scan.stderr).toContain("did you mean --sarif?");
    for (const [args, hint] of [
      [["key", "rotat", "--reason", "x"], "did you mean rotate?"],
      [["db", "migrat"], "did you mean migrate?"],
      [["canary", "lst"], "did you mean list?"],
      [["mcp", "toolz"], "did you mean tools?"],
    ] as const) {
      const run = await cli([...args], cwd);
      expect({ args, code: run.code, hint: run.stderr.includes(hint) }).toEqual({
        args,
        code: 2,
        hint: true,
      });
    }
    // Nothing near: no suggestion.
    expect((await cli(["zzzzzz"], cwd)).stderr).not.toContain("did you mean");
    expect((await cli(["constructor"], cwd)).code).toBe(2);
  });
});

describe("policy exit codes and reports", () => {
  const POLICY = [
    "rules:",
    "  - { id: mail, tool: send_email, decision: ask }",
    "  - { id: shell, tool: execute_shell, decision: deny }",
    "  - { id: read, tool: read_ticket, decision: allow }",
    "tests:",
    "  - { name: reads, agent: a, tool: read_ticket, expect: allow }",
    "  - name: mail is allowed (wrong)",
    "    agent: a",
    "    tool: send_email",
    "    expect: allow",
    "",
  ].join("\n");

  it("eval --fail-on deny|ask exits 1 when the decision is at least that strict", async () => {
    const file = join(cwd, "p.yaml");
    writeFileSync(file, POLICY);
    const run = (tool: string, failOn: string) =>
      cli(["policy", "eval", file, "--agent", "a", "--tool", tool, "--fail-on", failOn], cwd).then(
        (r) => r.code,
      );
    expect(await run("read_ticket", "ask")).toBe(0);
    expect(await run("send_email", "deny")).toBe(0);
    expect(await run("send_email", "ask")).toBe(1);
    expect(await run("execute_shell", "ask")).toBe(1);
    expect(await run("execute_shell", "deny")).toBe(1);
    expect(await run("read_ticket", "allow")).toBe(2);
  });

  it("test --format json|junit names the file and line of each failing test; check runs the tests", async () => {
    const file = join(cwd, "p.yaml");
    writeFileSync(file, POLICY);
    const json = await cli(["policy", "test", file, "--format", "json"], cwd);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ passed: 1, failed: 1 });
    expect(report.tests[1]).toMatchObject({ ok: false, file, line: 7, got: { effect: "ask", rule: "mail" } });

    const junit = await cli(["policy", "test", file, "--format", "junit"], cwd);
    expect(junit.code).toBe(1);
    expect(junit.stdout).toContain('<testsuite name="');
    expect(junit.stdout).toMatch(/<testcase name="mail is allowed \(wrong\)"[^>]*line="7">\s*<failure/);
    expect(junit.stdout).toMatch(/<testcase name="reads"[^>]*line="6"\/>/);

    const text = await cli(["policy", "test", file], cwd);
    expect(text.stdout).toContain(`at ${file}:7:`);

    const check = await cli(["policy", "check", file], cwd);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("tests: 1 passed, 1 failed");
    expect((await cli(["policy", "check", file, "--no-tests"], cwd)).code).toBe(0);
    expect((await cli(["policy", "test", file, "--format", "tap"], cwd)).code).toBe(2);
  });

  it("replay --fail-on-change exits 1 only when a decision would change", async () => {
    await seedApproval();
    const same = join(cwd, ".warden/policy.yaml");
    expect((await cli(["policy", "replay", same, "--fail-on-change"], cwd)).code).toBe(0);
    const stricter = join(cwd, "stricter.yaml");
    writeFileSync(stricter, "rules:\n  - { id: no-mail, tool: send_email, decision: deny }\n");
    const changed = await cli(["policy", "replay", stricter, "--fail-on-change"], cwd);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("ask [mail-outside-asks] → deny [no-mail]");
    expect((await cli(["policy", "replay", stricter], cwd)).code).toBe(0);
  });
});

describe("what people read", () => {
  it("log shows who approved what, with the scope and reason, in aligned columns", async () => {
    const id = await seedApproval();
    const log = await cli(["log"], cwd);
    expect(log.code).toBe(0);
    const lines = log.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^TIME\s+SEQ\s+KIND\s+AGENT\s+TOOL\s+WHAT\s+CALL$/);
    const decision = lines.find((l) => l.includes("approval.decision"))!;
    expect(decision).toContain(`${id} approve by ann (admin via cli)  remember session: customer asked`);
    expect(lines.find((l) => l.includes("approval.request"))).toContain(`${id} asks 1 of role:approver`);
    expect(lines.find((l) => l.includes("call.intent"))).toContain(`ask [mail-outside-asks]  approval ${id}`);
    // Aligned: every row's KIND column starts where the header's does.
    const kindAt = lines[0]!.indexOf("KIND");
    for (const line of lines.slice(1))
      expect(line.slice(kindAt)).toMatch(/^(call|session|approval|policy|canary)\./);
  });

  it("alerts with nothing to show says so", async () => {
    expect((await cli(["init"], cwd)).code).toBe(0);
    expect(await cli(["alerts"], cwd)).toMatchObject({
      code: 0,
      stdout: "no alerts: nothing has raised one\n",
    });
    expect((await cli(["alerts", "--since", "1h"], cwd)).stdout).toBe("no alerts match\n");
    expect((await cli(["alerts", "--json"], cwd)).stdout).toBe("");
  });

  it("export --jsonl - writes the verifiable export to stdout; backup --to - the verified copy", async () => {
    await seedApproval();
    const exported = await cli(["export", "--jsonl", "-"], cwd);
    expect(exported.code).toBe(0);
    expect(existsSync(join(cwd, "-"))).toBe(false);
    expect(exported.stderr).toMatch(/exported \d+ records .* to standard output/);
    const file = join(cwd, "out.jsonl");
    writeFileSync(file, exported.stdout);
    expect(await verifyJsonl(file)).toMatchObject({ ok: true });

    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (c: Buffer) => chunks.push(c));
    let stderr = "";
    const code = await main(["backup", "--to", "-"], {
      stdout: () => undefined,
      stderr: (t) => {
        stderr += t;
      },
      cwd,
      env: {},
      stdoutStream: sink,
    });
    expect(code).toBe(0);
    expect(stderr).toMatch(/backup to standard output: \d+ pages, \d+ records, verified/);
    expect(Buffer.concat(chunks).subarray(0, 15).toString()).toBe("SQLite format 3");
    expect(existsSync(join(cwd, "-"))).toBe(false);
  });
});

describe("progress", () => {
  it("is drawn on a terminal, and not without one or with --quiet", async () => {
    const draw = (isTTY: boolean, quiet: boolean) => {
      const terminal = Object.assign(new PassThrough(), {
        isTTY,
        columns: 80,
      }) as unknown as NodeJS.WriteStream & PassThrough;
      let drawn = "";
      terminal.on("data", (c: Buffer) => {
        drawn += c.toString();
      });
      const bar = progressBar(
        { stdout: () => undefined, stderr: () => undefined, cwd, env: {}, terminal },
        "verifying",
        quiet,
      );
      bar.update(5, 10);
      bar.update(10, 10);
      bar.stop();
      return drawn;
    };
    expect(draw(true, false)).toContain("verifying [");
    expect(draw(false, false)).toBe("");
    expect(draw(true, true)).toBe("");
  });
});
