// A value handed out to a session never reaches the ledger through a later call's arguments or rationale.
import { describe, expect, it } from "vitest";
import { DB_SECRET as SECRET, wardenWithDbSecret } from "./db-secret.js";

describe("a leased value in a later call", () => {
  it("is recorded as a digest in its arguments (a key takes its object) and masked in its rationale", async () => {
    const { warden, session } = await wardenWithDbSecret({ redact: { send: ["$.note"] } });
    let leaked = "";
    await session.guardWithContext("query_db", async (_a: object, ctx) => {
      leaked = ctx.secrets.db ?? "";
      return "ok";
    })({});
    const b64 = Buffer.from(leaked).toString("base64");
    const send = session.guard("send", async (_a: object) => "sent");
    await send.with({ rationale: `the password is ${leaked}` })({
      to: "bob@example.com",
      body: `pw ${leaked}`,
      headers: { [leaked]: "x", other: "y" },
      list: [1, `b64 ${b64}`],
      note: "kept as the policy says",
    });
    const [intent] = (await warden.ledger.store.query({ kinds: ["call.intent"] })).filter(
      (r) => r.data.tool === "send",
    );
    const data = intent!.data as { args: Record<string, unknown>; redacted: string[]; rationale: string };
    expect(data.redacted).toEqual(expect.arrayContaining(["$.body", "$.headers", "$.list[1]", "$.note"]));
    expect(data.args.to).toBe("bob@example.com");
    expect(data.args.body).toMatch(/^sha256:/);
    expect(data.args.headers).toMatch(/^sha256:/);
    expect(data.rationale).toBe("the password is [secret:db]");
    const all = JSON.stringify(await warden.ledger.store.query({}));
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(b64.slice(0, 20));
  });

  it("leaves the arguments of a session holding no secret as they are", async () => {
    const { warden, session } = await wardenWithDbSecret();
    await session.guard("send", async (_a: object) => "sent").with({ rationale: "why" })({ body: SECRET });
    const [intent] = await warden.ledger.store.query({ kinds: ["call.intent"] });
    expect(intent!.data).toMatchObject({ args: { body: SECRET }, redacted: [], rationale: "why" });
  });
});
