// What ships is safe to copy: the policy `warden init` writes, and every mail snippet in the docs, hold
// against the recipient forms that slip past string checks.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { initWarden } from "../../src/cli/init.js";
import type { WardenPaths } from "../../src/cli/paths.js";
import type { JsonValue } from "../../src/json.js";
import { type CompiledPolicy, loadPolicyFile, runPolicyTests } from "../../src/policy/index.js";
import { call } from "./helpers.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Mail that must never be allowed without a person: each hides an outside recipient. */
const HOSTILE: JsonValue[] = [
  { to: "evil@attacker.com,bob@example.com", body: "x" },
  { to: "bob@example.com, evil@attacker.com", body: "x" },
  { to: "x@evil.com;@example.com", body: "x" },
  { to: "bob@example.com\r\nBcc: evil@attacker.com", body: "x" },
  { to: "bob@example.com\nevil@attacker.com", body: "x" },
  { to: '"bob@example.com" <evil@attacker.com>', body: "x" },
  { to: "<@attacker.com:bob@example.com>", body: "x" },
  { to: "bob@example.com", bcc: "evil@attacker.com", body: "x" },
  { to: "bob@example.com", cc: "evil@attacker.com", body: "x" },
  { to: "bob@example.com", cc: ["carol@example.com", "evil@attacker.com"], body: "x" },
  { to: ["bob@example.com", "evil@attacker.com"], body: "x" },
  { to: "bob@example.com", reply_to: "evil@attacker.com", body: "x" },
  { to: "bob@example.com", headers: { Bcc: "evil@attacker.com" }, body: "x" },
  { to: "bob@ex\u0430mple.com", body: "x" },
  { body: "x" },
];

function expectHolds(policy: CompiledPolicy) {
  for (const args of HOSTILE) {
    const d = policy.evaluate(call("send_email", args, "support-bot"));
    expect(d.effect, JSON.stringify(args)).not.toBe("allow");
  }
  const internal = policy.evaluate(
    call(
      "send_email",
      { to: "Bob <bob@example.com>", cc: ["carol@example.com"], subject: "s", body: "b" },
      "support-bot",
    ),
  );
  expect(internal.effect).toBe("allow");
}

describe("the shipped policy", () => {
  it("warden init writes a policy that asks for every hidden outside recipient", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warden-shipped-"));
    dirs.push(dir);
    const base = join(dir, ".warden");
    const paths: WardenPaths = {
      dir: base,
      policy: join(base, "policy.yaml"),
      db: join(base, "ledger.db"),
      adminToken: join(base, "admin.token"),
      key: join(base, "ledger.key"),
    };
    await initWarden(paths);
    const policy = await loadPolicyFile(paths.policy);
    expectHolds(policy);
    expect(runPolicyTests(policy).filter((r) => !r.ok)).toEqual([]);
  });

  it("examples/policy.yaml and the fixture hold, and their own tests include the hostile forms", async () => {
    for (const file of ["examples/policy.yaml", "test/fixtures/policy/example.yaml"]) {
      const policy = await loadPolicyFile(join(root, file));
      expectHolds(policy);
      const results = runPolicyTests(policy);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const text = await readFile(join(root, file), "utf8");
      for (const form of [
        "evil@attacker.com,bob@example.com",
        "x@evil.com;@example.com",
        "\\r\\nBcc:",
        "bcc:",
        "cc:",
      ]) {
        expect(text, `${file} tests ${form}`).toContain(form);
      }
    }
  });

  it("no doc snippet checks a recipient with a string suffix", async () => {
    for (const file of [
      "README.md",
      "docs/policy.md",
      "docs/approvals.md",
      "docs/detect.md",
      "examples/policy.yaml",
    ]) {
      const text = await readFile(join(root, file), "utf8");
      expect(text, file).not.toMatch(/\.(endsWith|contains)\(\s*"@/);
      expect(text, file).not.toMatch(/endsWith\("@/);
    }
  });
});
