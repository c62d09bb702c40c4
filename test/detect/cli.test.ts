// `warden canary create|list` and `warden alerts` as functions: a minted canary trips an alert that lists its call.
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { cli } from "../cli/run-cli.js";
import { tempDir } from "../helpers.js";

let cwd: string;
beforeEach(() => {
  cwd = tempDir();
});

describe("warden canary / warden alerts", () => {
  it("mints a canary, and the alert its use raises lists the call", async () => {
    expect((await cli(["init"], cwd)).code).toBe(0);
    const created = await cli(["canary", "create", "--kind", "email", "--label", "crm bait", "--json"], cwd);
    expect(created.code).toBe(0);
    const canary = JSON.parse(created.stdout) as { value: string; id: string };
    expect(canary.value).toMatch(/@example\.com$/);
    expect((await cli(["canary", "list"], cwd)).stdout).toContain(canary.id);

    const warden = await Warden.open({
      policy: join(cwd, ".warden/policy.yaml"),
      db: join(cwd, ".warden/ledger.db"),
    });
    const s = await warden.session({ agent: "support-bot", onBehalfOf: "a@example.com", intent: "x" });
    const d = await s.check("read_ticket", { cc: canary.value }, { callId: "call-canary-1" });
    expect(d.effect).toBe("deny");
    await warden.close();

    const listed = await cli(["alerts"], cwd);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("critical");
    expect(listed.stdout).toContain("calls: call-canary-1");
    expect(listed.stdout).not.toContain(canary.value);
    const json = await cli(["alerts", "--json", "--since", "1h", "--session", s.id], cwd);
    expect(JSON.parse(json.stdout.trim()).data.detector).toBe("canary");
    expect((await cli(["alerts", "--session", "ses_none"], cwd)).stdout).toBe("no alerts match\n");
  });

  it("registers an existing honeytoken, found later in any encoded form", async () => {
    expect((await cli(["init"], cwd)).code).toBe(0);
    const token = "AKIAHONEYTOKEN0000042";
    const added = await cli(["canary", "add", "--value", token, "--label", "old deploy repo", "--json"], cwd);
    expect(added.code).toBe(0);
    const canary = JSON.parse(added.stdout) as { value: string; id: string; kind: string };
    expect(canary).toMatchObject({ value: token, kind: "custom" });
    expect((await cli(["canary", "list"], cwd)).stdout).toContain(canary.id);

    const warden = await Warden.open({
      policy: join(cwd, ".warden/policy.yaml"),
      db: join(cwd, ".warden/ledger.db"),
    });
    const s = await warden.session({ agent: "support-bot", onBehalfOf: "a@example.com", intent: "x" });
    const b64 = Buffer.from(`key=${token}`).toString("base64");
    for (const body of [b64, Buffer.from(token).toString("hex"), encodeURIComponent(`k=${token}&x`)]) {
      expect((await s.check("read_ticket", { id: 1, note: body })).effect, body).toBe("deny");
    }
    expect((await s.check("read_ticket", { id: 1, note: "nothing" })).effect).toBe("allow");
    await warden.close();
    expect((await cli(["canary", "add", "--value", "short"], cwd)).code).toBe(2);
    expect((await cli(["canary", "add"], cwd)).code).toBe(2);
    expect((await cli(["canary", "create", "--kind", "custom"], cwd)).code).toBe(2);
  });

  it("refuses a bad kind with exit 2", async () => {
    expect((await cli(["canary", "create", "--kind", "password"], cwd)).code).toBe(2);
    expect((await cli(["canary"], cwd)).code).toBe(2);
  });
});
