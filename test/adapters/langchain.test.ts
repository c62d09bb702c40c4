// The LangChain adapter driven by a real createAgent loop over LangChain's scripted fake model.
import { AIMessage, type BaseMessage, ToolMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ToolRefusedError,
  wardenLangChain,
  wardenLangChainTools,
} from "../../src/adapters/langchain/index.js";
import { answerApprovals, openWarden } from "../helpers.js";
import { ADAPTER_POLICY } from "./policy.js";

function toolsWithSpies() {
  const ran: string[] = [];
  const tools = [
    tool(
      async ({ city }) => {
        ran.push(`get_weather:${city}`);
        return `sunny in ${city}`;
      },
      { name: "get_weather", description: "weather in a city", schema: z.object({ city: z.string() }) },
    ),
    tool(
      async ({ to }) => {
        ran.push(`send_email:${to}`);
        return "sent";
      },
      {
        name: "send_email",
        description: "send an email",
        schema: z.object({ to: z.string(), body: z.string() }),
      },
    ),
    tool(
      async ({ order }) => {
        ran.push(`refund:${order}`);
        return "refunded";
      },
      { name: "refund", description: "refund an order", schema: z.object({ order: z.string() }) },
    ),
  ] as const;
  return { ran, tools };
}

const toolMessages = (messages: BaseMessage[]) =>
  messages.filter((m): m is ToolMessage => ToolMessage.isInstance(m));

describe("agent-warden/langchain", () => {
  it("gates a real createAgent loop: allowed runs, denied and denied-by-a-person come back as error ToolMessages", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    // The refund asks a person, who says no: the tool waits, then the model reads the reason.
    answerApprovals(warden, "deny", "refunds need a ticket");
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools: plain } = toolsWithSpies();
    const model = fakeModel()
      .respond(
        new AIMessage({
          content: "Weather first, then a mail to Bob.",
          tool_calls: [
            { id: "call_w1", name: "get_weather", args: { city: "Paris" } },
            { id: "call_e1", name: "send_email", args: { to: "bob@x.com", body: "hi" } },
          ],
        }),
      )
      .respond(
        new AIMessage({
          content: "Mail is blocked; refunding.",
          tool_calls: [{ id: "call r/1", name: "refund", args: { order: "A-1" } }],
        }),
      )
      .respond(new AIMessage("Done."));
    const { tools, callbacks } = wardenLangChain(session, plain);
    const agent = createAgent({ model, tools });

    const result = await agent.invoke(
      { messages: [{ role: "user", content: "Weather in Paris, mail Bob, refund A-1" }] },
      { callbacks },
    );

    expect(result.messages.at(-1)?.content).toBe("Done.");
    expect(ran).toEqual(["get_weather:Paris"]);
    const byId = new Map(toolMessages(result.messages).map((m) => [m.tool_call_id, m]));
    expect(byId.get("call_w1")?.content).toBe("sunny in Paris");
    expect(byId.get("call_w1")?.status).toBe("success");
    expect(byId.get("call_e1")?.status).toBe("error");
    expect(byId.get("call_e1")?.content).toContain("Warden refused this tool call (TOOL_DENIED)");
    expect(byId.get("call_e1")?.content).toContain("agents never send email");
    expect(byId.get("call r/1")?.content).toContain("APPROVAL_DENIED");
    expect(byId.get("call r/1")?.content).toContain("refunds need a ticket");
    // The model saw the denial in its next turn.
    expect(JSON.stringify(model.calls[1]?.messages)).toContain("agents never send email");

    const intents = await warden.ledger.store.query({ session: session.id, kinds: ["call.intent"] });
    expect(
      intents
        .map((r) => [r.callId, r.data.tool, (r.data.decision as { effect: string }).effect])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual([
      ["call_w1", "get_weather", "allow"],
      [expect.stringMatching(/^h:[0-9a-f]{32}$/), "refund", "ask"],
      ["call_e1", "send_email", "deny"],
    ]);
    const rationale = (id: string) => intents.find((r) => r.callId === id)?.data.rationale;
    expect(rationale("call_w1")).toBe("Weather first, then a mail to Bob.");
    expect(rationale("call_e1")).toBe("Weather first, then a mail to Bob.");
    const refund = intents.find((r) => r.data.tool === "refund");
    expect(refund?.data.rationale).toBe('Mail is blocked; refunding.\n[framework call id: "call r/1"]');
    const outcomes = await warden.ledger.store.query({ session: session.id, kinds: ["call.outcome"] });
    expect(outcomes.map((r) => [r.callId, r.data.status])).toEqual([["call_w1", "ok"]]);
  });

  it("a direct invoke with plain arguments is gated and a refusal throws", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const [weather] = wardenLangChainTools(session, [tools[0]]);
    const [email] = wardenLangChainTools(session, [tools[1]]);
    expect(await weather?.invoke({ city: "Oslo" })).toBe("sunny in Oslo");
    const refused = await email?.invoke({ to: "x", body: "y" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ToolRefusedError);
    expect(refused).toMatchObject({ code: "TOOL_DENIED" });
    expect(ran).toEqual(["get_weather:Oslo"]);
    const intents = await warden.ledger.store.query({ session: session.id, kinds: ["call.intent"] });
    expect(intents.map((r) => r.data.tool)).toEqual(["get_weather", "send_email"]);
  });
});
