// `warden approvals | approve | deny` on the local ledger file and through a running Warden's API.
import { beforeEach, describe, expect, it } from "vitest";
import type { Warden } from "../../src/index.js";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import { cli, initAndOpen } from "./run-cli.js";

let cwd: string;
let warden: Warden;

beforeEach(async () => {
  cwd = tempDir();
  warden = await initAndOpen(cwd);
  onCleanup(() => warden.close());
});

async function askMail(to: string, rationale: string) {
  const session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "carol@example.com",
    intent: "ticket 7",
  });
  return session.check("send_email", { to, subject: "hi", body: "secret body" }, { rationale });
}

describe("warden approvals / approve / deny", () => {
  it("lists and decides on the local ledger, escaping what the agent wrote", async () => {
    const first = await askMail("eve@outside.ex\u0430mple", "reply\u001b[2J to the customer");
    const listed = await cli(["approvals"], cwd);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(first.approval!.id);
    expect(listed.stdout).toContain("\\u001b[2J");
    expect(listed.stdout).not.toContain("\u001b");
    // A Cyrillic letter inside a Latin word is written as its code point: it cannot pass for an "a".
    expect(listed.stdout).toContain("outside.ex\\u0430mple");
    expect(listed.stdout).not.toContain("\u0430");
    // The ledger's digest on the arguments line; the redacted body in clear only as held arguments.
    const line = (prefix: string) => listed.stdout.split("\n").find((l) => l.startsWith(prefix)) ?? "";
    expect(line("  arguments")).not.toContain("secret body");
    expect(line("  held args")).toContain('"body":"secret body"');
    expect(listed.stdout).toContain("remember   later `send_email` calls with ");
    const who = await cli(["who", first.callId], cwd);
    expect(who.stdout).toMatch(/held args +\{.*"body":"secret body"/);
    expect(JSON.parse((await cli(["who", first.callId, "--json"], cwd)).stdout).heldArgs.args.body).toBe(
      "secret body",
    );

    expect((await cli(["deny", first.approval!.id], cwd)).code).toBe(2);
    expect((await cli(["approve"], cwd)).code).toBe(2);
    const wrong = await cli(
      ["approve", first.approval!.id, "--as", "bob", "--digest", `sha256:${"0".repeat(64)}`],
      cwd,
    );
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining("APPROVAL_MISMATCH") });
    const ok = await cli(["approve", first.approval!.id, "--as", "bob", "--remember", "1h"], cwd);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining("now approved") });
    // The Warden that holds the call learns it from the ledger file.
    await expect(warden.gate.callState(first.callId, 5_000)).resolves.toMatchObject({ decision: "allow" });
    const [decision] = await warden.ledger.store.query({
      callId: first.callId,
      kinds: ["approval.decision"],
    });
    expect(decision!.data).toMatchObject({
      approver: "bob",
      role: "admin",
      via: "cli",
      remember: { scope: "time" },
    });

    const second = await askMail("mallory@outside.example", "again");
    const denied = await cli(
      ["deny", second.approval!.id, "--reason", "not to outsiders", "--as", "bob"],
      cwd,
    );
    expect(denied.code).toBe(0);
    await expect(warden.gate.callState(second.callId, 5_000)).resolves.toMatchObject({ decision: "deny" });
    expect((await cli(["approvals"], cwd)).stdout).toContain("no pending approvals");
    expect((await cli(["approvals", "--all", "--json"], cwd)).stdout).toContain("not to outsiders");
    // Decided: the held arguments are gone, for the CLI too.
    expect((await cli(["approvals", "--all"], cwd)).stdout).not.toContain("secret body");
    expect((await cli(["who", second.callId], cwd)).stdout).not.toContain("held args");
  });

  it("lists the approvals of an ended session as closed, with the reason", async () => {
    const session = await warden.session({
      agent: "support-bot",
      onBehalfOf: "carol@example.com",
      intent: "t",
    });
    const asked = await session.check("send_email", { to: "eve@outside.example", subject: "hi", body: "b" });
    await session.end("ticket closed");
    expect((await cli(["approvals"], cwd)).stdout).toContain("no pending approvals");
    const all = await cli(["approvals", "--all"], cwd);
    expect(all.stdout).toContain(`${asked.approval!.id}  closed`);
    expect(all.stdout).toContain("closed     session ended: ticket closed");
  });

  it("decides through the API with an approver's token, which names the approver", async () => {
    const server = await startServer(warden, { host: "127.0.0.1", port: 0 });
    onCleanup(() => server.close());
    const { token } = await createToken(warden.ledger.store, {
      role: "approver",
      name: "alice@sec.example.com",
    });
    const auditor = await createToken(warden.ledger.store, { role: "auditor", name: "audrey" });
    const asked = await askMail("eve@outside.example", "reply");
    const env = { WARDEN_URL: server.url, WARDEN_TOKEN: token };
    const listed = await cli(["approvals"], cwd, env);
    expect(listed.stdout).toContain(asked.approval!.id);
    expect(listed.stdout).toContain(
      'held args  {"to":"eve@outside.example","subject":"hi","body":"secret body"}',
    );
    const asAuditor = await cli(["approvals", "--json"], cwd, { ...env, WARDEN_TOKEN: auditor.token });
    expect(asAuditor.stdout).not.toContain("secret body");
    const refused = await cli(["approve", asked.approval!.id], cwd, { ...env, WARDEN_TOKEN: auditor.token });
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining("FORBIDDEN") });
    expect((await cli(["approve", asked.approval!.id, "--remember", "session"], cwd, env)).code).toBe(0);
    const view = warden.approvals.queue.book.get(asked.approval!.id)!;
    expect(view.decisions).toEqual([
      expect.objectContaining({ approver: "alice@sec.example.com", via: "api" }),
    ]);
  });
});
