// The OpenAI Agents adapter driven by a real Runner loop over a scripted Model.
import {
  Agent,
  type AgentInputItem,
  type AgentOutputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  Runner,
  type StreamEvent,
  tool,
  Usage,
} from "@openai/agents";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  approveInterruption,
  rejectInterruption,
  wardenAgent,
  wardenAgentTools,
} from "../../src/adapters/openai-agents/index.js";
import { openWarden } from "../helpers.js";
import { ADAPTER_POLICY } from "./policy.js";

/** A Model that answers each turn from a script and keeps what it was sent. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  #turn = 0;
  constructor(readonly turns: AgentOutputItem[][]) {}
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const output = this.turns[this.#turn++] ?? [say("(script ended)")];
    return { usage: new Usage(), output, responseId: `resp_${this.#turn}` };
  }
  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const response = await this.getResponse(request);
    yield {
      type: "response_done",
      response: { id: response.responseId ?? "r", usage: usageOf(), output: response.output },
    } as StreamEvent;
  }
}

const usageOf = () => ({ requests: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 });

const say = (text: string): AgentOutputItem => ({
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text }],
});

const call = (callId: string, name: string, args: object): AgentOutputItem => ({
  type: "function_call",
  callId,
  name,
  arguments: JSON.stringify(args),
  status: "completed",
});

function toolsWithSpies() {
  const ran: string[] = [];
  const tools = [
    tool({
      name: "get_weather",
      description: "weather in a city",
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        ran.push(`get_weather:${city}`);
        return `sunny in ${city}`;
      },
    }),
    tool({
      name: "send_email",
      description: "send an email",
      parameters: z.object({ to: z.string(), body: z.string() }),
      execute: async ({ to }) => {
        ran.push(`send_email:${to}`);
        return "sent";
      },
    }),
    tool({
      name: "refund",
      description: "refund an order",
      parameters: z.object({ order: z.string() }),
      execute: async ({ order }) => {
        ran.push(`refund:${order}`);
        return "refunded";
      },
    }),
  ];
  return { ran, tools };
}

const runner = new Runner({ tracingDisabled: true });

/** The text of the tool output the model was sent for `callId`. */
function toolOutputSent(model: ScriptedModel, callId: string): string {
  const items = model.requests.flatMap((r) => (Array.isArray(r.input) ? r.input : [])) as AgentInputItem[];
  const out = items.find((i) => i.type === "function_call_result" && i.callId === callId);
  return JSON.stringify(out);
}

describe("agent-warden/openai-agents", () => {
  it("gates a real Runner loop: allowed runs, denied is refused in text, ask interrupts the run for a person, the ledger has it all", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const model = new ScriptedModel([
      [
        say("Weather first, then a mail to Bob."),
        call("call_w1", "get_weather", { city: "Paris" }),
        call("call_e1", "send_email", { to: "bob@x.com", body: "hi" }),
      ],
      [say("Mail is blocked; refunding."), call("call r/1", "refund", { order: "A-1" })],
      [say("Done.")],
    ]);
    const agent = wardenAgent(session, new Agent({ name: "assistant", model, tools }));

    // The refund asks a person: the run stops with the SDK's own interruption, and the person's
    // refusal is recorded in Warden before the run resumes.
    const interrupted = await runner.run(agent, "Weather in Paris, mail Bob, refund A-1");
    expect(interrupted.interruptions.map((i) => i.name)).toEqual(["refund"]);
    const denied = await rejectInterruption(
      warden,
      interrupted.state,
      interrupted.interruptions[0]!,
      { name: "carol@sec.example.com" },
      "refunds need a ticket",
    );
    expect(denied).toMatchObject({
      status: "denied",
      decisions: [{ approver: "carol@sec.example.com", via: "openai-agents" }],
    });
    const result = await runner.run(agent, interrupted.state);

    expect(result.finalOutput).toBe("Done.");
    expect(ran).toEqual(["get_weather:Paris"]);
    expect(toolOutputSent(model, "call_w1")).toContain("sunny in Paris");
    expect(toolOutputSent(model, "call_e1")).toContain("Warden refused this tool call (TOOL_DENIED)");
    expect(toolOutputSent(model, "call_e1")).toContain("agents never send email");
    expect(toolOutputSent(model, "call r/1")).toContain("refunds need a ticket");

    const intents = await warden.ledger.store.query({ session: session.id, kinds: ["call.intent"] });
    expect(
      intents.map((r) => [r.callId, r.data.tool, (r.data.decision as { effect: string }).effect]),
    ).toEqual([
      ["call_w1", "get_weather", "allow"],
      ["call_e1", "send_email", "deny"],
      [expect.stringMatching(/^h:[0-9a-f]{32}$/), "refund", "ask"],
    ]);
    expect(intents[0]?.data.rationale).toBe("Weather first, then a mail to Bob.");
    expect(intents[1]?.data.rationale).toBe("Weather first, then a mail to Bob.");
    expect(intents[1]?.data.args).toEqual({ to: "bob@x.com", body: "hi" });
    expect(intents[2]?.data.rationale).toBe('Mail is blocked; refunding.\n[framework call id: "call r/1"]');
    const outcomes = await warden.ledger.store.query({ session: session.id, kinds: ["call.outcome"] });
    expect(outcomes.map((r) => [r.callId, r.data.status])).toEqual([["call_w1", "ok"]]);
  });

  it("runs an interrupted call once a person approves it, bound to the approved arguments", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const model = new ScriptedModel([
      [say("Refunding."), call("call_r2", "refund", { order: "B-2" })],
      [say("Refunded.")],
    ]);
    const agent = wardenAgent(session, new Agent({ name: "assistant", model, tools }));
    const interrupted = await runner.run(agent, "refund B-2");
    expect(ran).toEqual([]);
    const item = interrupted.interruptions[0]!;
    // The user the agent acts for cannot approve its call: refused, and the run stays interrupted.
    await expect(
      approveInterruption(warden, interrupted.state, item, { name: "alice@example.com" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await approveInterruption(warden, interrupted.state, item, { name: "dana@sec.example.com" });
    const result = await runner.run(agent, interrupted.state);
    expect(result.finalOutput).toBe("Refunded.");
    expect(ran).toEqual(["refund:B-2"]);
    const records = await warden.ledger.store.query({ callId: "call_r2" });
    expect(records.map((r) => r.kind)).toEqual([
      "call.intent",
      "approval.request",
      "approval.decision",
      "call.outcome",
    ]);
  });

  it("streamed runs record the rationale too", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const model = new ScriptedModel([
      [say("Mailing."), call("s_e1", "send_email", { to: "b", body: "x" })],
      [say("Could not.")],
    ]);
    const result = await runner.run(wardenAgent(session, new Agent({ name: "a", model, tools })), "mail", {
      stream: true,
    });
    await result.completed;
    expect(result.finalOutput).toBe("Could not.");
    expect(ran).toEqual([]);
    const [intent] = await warden.ledger.store.query({ callId: "s_e1", kinds: ["call.intent"] });
    expect(intent?.data.rationale).toBe("Mailing.");
  });

  it("gates handoff agents and refuses tools it cannot gate", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const mailer = new Agent({ name: "mailer", model: new ScriptedModel([]), tools });
    const front = wardenAgent(
      session,
      new Agent({ name: "front", model: new ScriptedModel([]), handoffs: [mailer] }),
    );
    const [gatedMailer] = front.handoffs as Agent[];
    expect(gatedMailer).not.toBe(mailer);
    const send = gatedMailer?.tools.find((t) => t.name === "send_email");
    if (send?.type !== "function") throw new Error("send_email missing");
    const { RunContext } = await import("@openai/agents");
    const out = await send.invoke(new RunContext(), '{"to":"x","body":"y"}', {
      toolCall: { type: "function_call", callId: "h_1", name: "send_email", arguments: "{}" },
    });
    expect(out).toContain("TOOL_DENIED");
    expect(ran).toEqual([]);

    const { webSearchTool } = await import("@openai/agents");
    expect(() => wardenAgentTools(session, [webSearchTool()])).toThrow(
      expect.objectContaining({ code: "INVALID_REQUEST" }),
    );
    expect(wardenAgentTools(session, [webSearchTool()], { allowHostedTools: true })).toHaveLength(1);
  });

  it("invokes a call decided in needsApproval only with the input that was decided", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const [weather] = wardenAgentTools(session, tools);
    if (weather?.type !== "function") throw new Error("get_weather missing");
    const { RunContext } = await import("@openai/agents");
    const context = new RunContext();
    const toolCall = (callId: string) => ({
      toolCall: { type: "function_call" as const, callId, name: "get_weather", arguments: "{}" },
    });
    expect(await weather.needsApproval(context, { city: "Paris" }, "w_1")).toBe(false);
    // A resumed run hands other input for the same call (state edited between the two).
    const out = await weather.invoke(context, '{"city":"Atlantis"}', toolCall("w_1"));
    expect(out).toContain("APPROVAL_MISMATCH");
    expect(ran).toEqual([]);
    // The decided input runs.
    expect(await weather.needsApproval(context, { city: "Paris" }, "w_2")).toBe(false);
    expect(await weather.invoke(context, '{"city":"Paris"}', toolCall("w_2"))).toBe("sunny in Paris");
    expect(ran).toEqual(["get_weather:Paris"]);
  });
});
