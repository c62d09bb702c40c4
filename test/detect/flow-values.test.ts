// Value-level flow: a value read from a result is found inside later arguments, encoded or not,
// in the session and its sub-agents, within the rule's source and sink scope.
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/json.js";
import { openWarden } from "../helpers.js";
import { alertsOf } from "./helpers.js";

const SECRET = "qa-Db_4471!zz";

function policy(flow: Record<string, unknown>[]) {
  return {
    default: "allow",
    tools: { vault_read: { reads: ["secrets"] }, crm_lookup: { reads: ["contacts"] } },
    detect: { flow },
  };
}

/** A session whose `read` tool returned `result`; returns the decision effect of `tool(args)`. */
async function afterRead(
  flow: Record<string, unknown>[],
  read: string,
  result: JsonValue,
  tool: string,
  args: JsonValue,
) {
  const { warden } = await openWarden(policy(flow));
  const s = await warden.session({ agent: "bot", onBehalfOf: "u@corp.example", intent: "work" });
  const d = await s.check(read, {});
  await s.recordOutcome(d.callId, { status: "ok", result });
  return { decision: await s.check(tool, args), warden, session: s };
}

const ANY = [
  { id: "no-results-out", from: { results: "any" }, to: { tools: ["post_message"] }, action: "deny" },
];
const effect = async (args: JsonValue, result: JsonValue = { password: SECRET }) =>
  (await afterRead(ANY, "vault_read", result, "post_message", args)).decision.effect;

describe("tracked values", () => {
  it("are found inside a longer argument, not only as the whole argument", async () => {
    expect(await effect({ text: SECRET })).toBe("deny");
    expect(await effect({ text: `the old password was ${SECRET}, rotate it` })).toBe("deny");
    expect(await effect({ text: "nothing to see here" })).toBe("allow");
  });

  it("are found base64, base64url, hex, URL-encoded, JSON-escaped and in another case", async () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const forms = [
      b64(SECRET),
      b64(`x${SECRET}`),
      b64(`xy${SECRET} and more`),
      Buffer.from(`ab${SECRET}`).toString("base64url"),
      Buffer.from(SECRET).toString("hex"),
      Buffer.from(SECRET).toString("hex").toUpperCase(),
      `https://x.example/?p=${encodeURIComponent(SECRET)}`,
      "p=qa-Db_4471%21zz",
      JSON.stringify({ note: `"${SECRET}"` }),
      SECRET.toUpperCase(),
    ];
    for (const text of forms) expect(await effect({ text }), text).toBe("deny");
    const withQuote = 'pa"ss\\word-1234';
    expect(await effect({ body: JSON.stringify({ p: withQuote }) }, { p: withQuote })).toBe("deny");
  });

  it("are found with one encoding wrapped in another", async () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const hex = (s: string) => Buffer.from(s).toString("hex");
    const forms = [
      b64(b64(SECRET)),
      b64(encodeURIComponent(`password=${SECRET}`)),
      encodeURIComponent(encodeURIComponent(SECRET)),
      hex(b64(`the value ${SECRET}`)),
      encodeURIComponent(b64(`pw ${SECRET}`)),
    ];
    for (const text of forms) expect(await effect({ text }), text).toBe("deny");
  });

  it("have a minimum: short values and single words are not tracked", async () => {
    expect(await effect({ text: "ok, done" }, { status: "ok" })).toBe("allow");
    expect(await effect({ text: "the job completed" }, { status: "completed" })).toBe("allow");
    expect(await effect({ text: "ref 1234567" }, { id: "1234567" })).toBe("allow");
    expect(await effect({ text: "ref 12345678" }, { id: "12345678" })).toBe("deny");
  });

  it("name paths and encodings in the alert, never the value", async () => {
    const { warden } = await afterRead(ANY, "vault_read", { password: SECRET }, "post_message", {
      text: Buffer.from(SECRET).toString("base64"),
    });
    const [alert] = await alertsOf(warden);
    expect(alert?.data).toMatchObject({
      details: { rule: "no-results-out", paths: ["$.text"], forms: ["base64"] },
    });
    expect(JSON.stringify(alert)).not.toContain(SECRET);
  });

  it("flow from a parent session into its sub-agents and back", async () => {
    const { warden } = await openWarden(policy(ANY));
    const parent = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "work" });
    const child = await warden.session({ agent: "helper", onBehalfOf: "u", intent: "sub", parent });
    const d = await parent.check("vault_read", {});
    await parent.recordOutcome(d.callId, { status: "ok", result: SECRET });
    expect((await child.check("post_message", { text: `pw ${SECRET}` })).effect).toBe("deny");
    const grandchild = await warden.session({
      agent: "helper",
      onBehalfOf: "u",
      intent: "sub2",
      parent: child,
    });
    const r = await grandchild.check("vault_read", {});
    await grandchild.recordOutcome(r.callId, { status: "ok", result: "another-Secret-99" });
    expect((await parent.check("post_message", { text: "another-secret-99" })).effect).toBe("deny");
    const other = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "other" });
    expect((await other.check("post_message", { text: SECRET })).effect).toBe("allow");
  });

  it("reach a sub-agent of a sub-agent that made no call of its own", async () => {
    const { warden } = await openWarden(policy(ANY));
    const parent = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "work" });
    const d = await parent.check("vault_read", {});
    await parent.recordOutcome(d.callId, { status: "ok", result: SECRET });
    // The planner only delegates: its worker's first call comes before any of the planner's.
    const planner = await warden.session({ agent: "planner", onBehalfOf: "u", intent: "plan", parent });
    const worker = await warden.session({ agent: "worker", onBehalfOf: "u", intent: "do", parent: planner });
    expect((await worker.check("post_message", { text: `pw ${SECRET}` })).effect).toBe("deny");
    expect((await planner.check("post_message", { text: SECRET })).effect).toBe("deny");
  });

  it("stay tracked for a sub-agent after its parent session ended", async () => {
    const { warden } = await openWarden(policy(ANY));
    const parent = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "work" });
    const child = await warden.session({ agent: "helper", onBehalfOf: "u", intent: "sub", parent });
    const d = await parent.check("vault_read", {});
    await parent.recordOutcome(d.callId, { status: "ok", result: SECRET });
    await parent.end();
    expect((await child.check("post_message", { text: SECRET })).effect).toBe("deny");
    // The tree's memory goes with its last session.
    await child.end();
    const next = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "again" });
    expect((await next.check("post_message", { text: SECRET })).effect).toBe("allow");
  });
});

describe("flow rule scope", () => {
  const contact = { name: "Bob", email: "Bob@Client.example", phone: "+1 555 0100 200" };

  it("to.paths: an address from a result may not be a recipient, but may be mentioned in the body", async () => {
    const flow = [
      {
        id: "no-result-recipients",
        from: { results: "email" },
        to: { tools: ["send_email"], paths: ["$.to", "$.cc", "$.bcc"] },
        action: "deny",
      },
    ];
    const run = async (args: JsonValue) =>
      (await afterRead(flow, "crm_lookup", contact, "send_email", args)).decision.effect;
    expect(await run({ to: "bob@client.example" })).toBe("deny");
    expect(await run({ to: "me@corp.example", bcc: ["x@corp.example", "bob@client.example"] })).toBe("deny");
    expect(await run({ to: "me@corp.example", body: "Bob (bob@client.example) called" })).toBe("allow");
  });

  it("from.tools, from.paths and from.labels choose which results count", async () => {
    const base = { results: "any" };
    const to = { tools: ["post_message"] };
    const run = async (from: Record<string, unknown>, read = "crm_lookup") =>
      (
        await afterRead(
          [{ id: "r", from: { ...base, ...from }, to, action: "deny" }],
          read,
          contact,
          "post_message",
          {
            text: "call +1 555 0100 200",
          },
        )
      ).decision.effect;
    expect(await run({ tools: ["crm_*"] })).toBe("deny");
    expect(await run({ tools: ["vault_*"] })).toBe("allow");
    expect(await run({ paths: ["$.phone"] })).toBe("deny");
    expect(await run({ paths: ["$.email"] })).toBe("allow");
    expect(await run({ labels: ["contacts"] })).toBe("deny");
    expect(await run({ labels: ["secrets"] })).toBe("allow");
    expect(await run({ labels: ["contacts"] }, "web_search")).toBe("allow");
  });

  it("rejects a path that is not a JSON path at load", async () => {
    const bad = policy([{ id: "r", from: { paths: ["phone"] }, to: { tools: ["x"] } }]);
    await expect(openWarden(bad)).rejects.toMatchObject({ code: "POLICY_INVALID" });
  });
});
