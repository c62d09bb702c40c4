// Approver names: one spelling per person at mint, look-alike names refused, four eyes and "not your
// own call" comparing people rather than spellings, and the agent's developer kept from approving.
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/ledger/index.js";
import { personKey } from "../../src/people.js";
import { createToken } from "../../src/server/index.js";
import { openWarden } from "../helpers.js";

describe("approver names", () => {
  it("are trimmed and NFKC-normalised at mint; a name that differs only by case, spacing or look-alike letters is refused", async () => {
    const store = new MemoryStore();
    const first = await createToken(store, { role: "approver", name: "  ａｌｉｃｅ@example.com " });
    expect(first.name).toBe("alice@example.com");
    // The same person again: another token is fine.
    await expect(createToken(store, { role: "approver", name: "alice@example.com" })).resolves.toMatchObject({
      name: "alice@example.com",
    });
    for (const lookAlike of [
      "Alice@example.com",
      "alice @example.com",
      "\u0430lice@example.com",
      "ALİCE@example.com",
    ]) {
      await expect(createToken(store, { role: "approver", name: lookAlike })).rejects.toMatchObject({
        code: "INVALID_REQUEST",
      });
    }
    await expect(createToken(store, { role: "approver", name: "bob@example.com" })).resolves.toBeTruthy();
  });

  it("compare as one person in four eyes, self-approval and the developer rule", async () => {
    expect(personKey("Bob@Example.com")).toBe(personKey(" bob@example.com"));
    expect(personKey("\u0412ob@example.com")).toBe(personKey("Bob@example.com"));
    const { warden } = await openWarden({
      default: "allow",
      agents: { bot: { team: "ops", developer: "dana@example.com", tools: ["*"] } },
      rules: [{ id: "four-eyes", tool: "deploy", decision: "ask", approval: { approvers: 2 } }],
    });
    const session = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "ship" });
    const asked = await session.check("deploy", { env: "prod" });
    const q = warden.approvals.queue;
    const as = (name: string) => ({ name, role: "approver" as const, via: "api" });
    await q.decide(asked.approval!.id, { decision: "approve", approver: as("bob@example.com") });
    // The same person under another spelling does not make the second pair of eyes.
    await expect(
      q.decide(asked.approval!.id, { decision: "approve", approver: as("\u0412OB@example.com ") }),
    ).rejects.toMatchObject({ code: "APPROVAL_CLOSED" });
    await expect(
      q.decide(asked.approval!.id, { decision: "approve", approver: as("CAROL@example.com") }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("own agent") });
    await expect(
      q.decide(asked.approval!.id, { decision: "approve", approver: as("Dana@Example.com") }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("developer") });
    expect(q.book.get(asked.approval!.id)!.status).toBe("pending");
    await q.decide(asked.approval!.id, { decision: "approve", approver: as("erin@example.com") });
    expect(q.book.get(asked.approval!.id)!.status).toBe("approved");
  });

  it("compare as one person when a name hides characters drawn as nothing (soft hyphen, word joiner, marks)", async () => {
    for (const hidden of ["\u00AD", "\u2060", "\u200E", "\u180E", "\uFEFF"]) {
      expect(personKey(`carol${hidden}@example.com`)).toBe(personKey("carol@example.com"));
    }
    const store = new MemoryStore();
    await createToken(store, { role: "approver", name: "alice@example.com" });
    await expect(
      createToken(store, { role: "approver", name: "ali\u00ADce@example.com" }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    // The user the agent acts for, spelled with a word joiner, is still the one who may not approve.
    const { warden } = await openWarden({
      default: "allow",
      rules: [{ id: "ship", tool: "deploy", decision: "ask" }],
    });
    const session = await warden.session({
      agent: "bot",
      onBehalfOf: "carol\u2060@example.com",
      intent: "ship",
    });
    const asked = await session.check("deploy", { env: "prod" });
    await expect(
      warden.approvals.queue.decide(asked.approval!.id, {
        decision: "approve",
        approver: { name: "carol@example.com", role: "approver", via: "api" },
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("own agent") });
  });

  it("approvals.excludeDeveloper: false lets the developer approve", async () => {
    const { warden } = await openWarden({
      default: "allow",
      agents: { bot: { team: "ops", developer: "dana@example.com", tools: ["*"] } },
      rules: [{ id: "asks", tool: "deploy", decision: "ask" }],
      approvals: { excludeDeveloper: false },
    });
    const session = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "ship" });
    const asked = await session.check("deploy", {});
    const view = await warden.approvals.queue.decide(asked.approval!.id, {
      decision: "approve",
      approver: { name: "dana@example.com", role: "approver", via: "api" },
    });
    expect(view.status).toBe("approved");
  });
});
