import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkPolicyText, formatIssue, parsePolicy } from "../../src/policy/index.js";
import { cli } from "../cli/run-cli.js";
import { call, issuesOf, where } from "./helpers.js";

const TOOLS = `tools:
  send_email:
    sends: external
    args:
      type: object
      properties:
        to: {type: string}
        count: {type: integer}
        urgent: {type: boolean}
        attachments: {type: array, items: {type: object, properties: {size: {type: number}}}}
        meta: {type: object, additionalProperties: true}
`;

const policyWith = (when: string, tool = "send_email") =>
  `${TOOLS}rules:\n  - id: r\n    tool: ${tool}\n    decision: deny\n    when: '${when}'\n`;

describe("conditions are type-checked against a tool's declared args schema", () => {
  it("an integer field compared with a string is an error at the condition", () => {
    const issues = issuesOf(policyWith('args.count > "3"'));
    expect(issues).toHaveLength(1);
    expect(where(issues)).toEqual(["16:11"]);
    expect(issues[0]?.path).toEqual(["rules", 0, "when"]);
    expect(issues[0]?.severity).toBeUndefined();
    expect(formatIssue(issues[0]!)).toBe(
      'policy.yaml:16:11: args.count is integer in the args schema of tool "send_email", but is compared with a string ("3")',
    );
  });

  it("mismatches on either side, inside lists, `in` lists and nested schemas are errors too", () => {
    const cases = [
      '"a" == args.count',
      "args.to == 3",
      'args.urgent != "yes"',
      'args.count in [1, "2"]',
      'args.attachments[0].size >= "big"',
    ];
    for (const when of cases) {
      const issues = checkPolicyText(policyWith(when), "p.yaml");
      expect(
        issues.map((i) => [i.severity ?? "error", i.message.split(" is ")[0]]),
        when,
      ).toEqual([["error", expect.stringMatching(/^args\./)]]);
    }
  });

  it("a field the schema does not have is a warning: the policy still loads", () => {
    const text = policyWith('args.cc == "x" || has(args.bcc)');
    const issues = checkPolicyText(text, "policy.yaml");
    expect(issues.map((i) => [i.severity, where([i])[0], i.message])).toEqual([
      [
        "warning",
        "16:11",
        'args.cc is not a field of the args schema of tool "send_email" (fields: to, count, urgent, attachments, meta)',
      ],
      [
        "warning",
        "16:11",
        'args.bcc is not a field of the args schema of tool "send_email" (fields: to, count, urgent, attachments, meta)',
      ],
    ]);
    expect(formatIssue(issues[0]!)).toMatch(/^policy\.yaml:16:11: warning: args\.cc is not a field/);
    expect(parsePolicy(text, "policy.yaml").evaluate(call("send_email", { cc: "x" })).effect).toBe("deny");
  });

  it("correct conditions, open parts of the schema and untyped expressions pass without a word", () => {
    const cases = [
      'args.count > 3 && args.to.endsWith("@example.com") && args.urgent == true',
      "args.count > 3.5",
      "args.attachments.exists(a, a.size > 1000000.0)",
      'args.meta.anything == "free"',
      "args.to == null",
      "size(args.attachments) > 2",
      'args["count"] < 10',
    ];
    for (const when of cases) expect(checkPolicyText(policyWith(when), "p.yaml"), when).toEqual([]);
  });

  it("only rules whose tool globs match a declared tool are checked", () => {
    expect(checkPolicyText(policyWith('args.count > "3"', "read_*"), "p.yaml")).toEqual([]);
    expect(checkPolicyText(policyWith('args.count > "3"', "send_*"), "p.yaml")).toHaveLength(1);
  });

  it("an args schema must describe an object", () => {
    const issues = issuesOf("tools:\n  send_email:\n    args: {type: string}\n");
    expect(issues.map((i) => i.path)).toEqual([["tools", "send_email", "args"]]);
  });
});

describe("warden policy check with an args schema", () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), "warden-argtypes-"));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it("a type error exits 2 with file:line:col; a warning alone exits 0", async () => {
    const bad = join(cwd, "bad.yaml");
    await writeFile(bad, policyWith('args.count > "3"'));
    const failed = await cli(["policy", "check", bad], cwd);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(`${bad}:16:11: args.count is integer`);

    const warned = join(cwd, "warned.yaml");
    await writeFile(warned, policyWith('args.cc == "x"'));
    const ok = await cli(["policy", "check", warned], cwd);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`${warned}:16:11: warning: args.cc is not a field`);
    expect(ok.stdout).toContain(`OK ${warned}`);
  });
});
