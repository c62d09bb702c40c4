// The AI SDK adapter driven by a real generateText loop over the SDK's scripted mock model.
import { generateText, stepCountIs, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ToolRefusedError,
  wardenAiSdk,
  wardenApprovalResponse,
  wardenTools,
} from "../../src/adapters/ai-sdk/index.js";
import { answerApprovals, openWarden } from "../helpers.js";
import { ADAPTER_POLICY } from "./policy.js";

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

type Content =
  | { type: "text"; text: string }
  | { type: "tool-call"; toolCallId: string; toolName: string; input: string };

function step(content: Content[], finish: "tool-calls" | "stop") {
  return { content, finishReason: { unified: finish, raw: finish }, usage, warnings: [] };
}

function toolsWithSpies() {
  const ran: string[] = [];
  const tools = {
    get_weather: tool({
      description: "weather in a city",
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        ran.push(`get_weather:${city}`);
        return { city, sky: "sunny" };
      },
    }),
    send_email: tool({
      description: "send an email",
      inputSchema: z.object({ to: z.string(), body: z.string() }),
      execute: async ({ to }) => {
        ran.push(`send_email:${to}`);
        return "sent";
      },
    }),
    refund: tool({
      description: "refund an order",
      inputSchema: z.object({ order: z.string() }),
      execute: async ({ order }) => {
        ran.push(`refund:${order}`);
        return "refunded";
      },
    }),
  };
  return { ran, tools };
}

describe("agent-warden/ai-sdk", () => {
  it("gates a real generateText loop: allowed runs, denied and denied-by-a-person are refused, the ledger has it all", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    // The refund asks a person, who says no: the tool waits, then the model reads the reason.
    answerApprovals(warden, "deny", "refunds need a ticket");
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const model = new MockLanguageModelV3({
      doGenerate: [
        step(
          [
            { type: "text", text: "Checking the weather, then mailing Bob." },
            { type: "tool-call", toolCallId: "call_w1", toolName: "get_weather", input: '{"city":"Paris"}' },
            {
              type: "tool-call",
              toolCallId: "call_e1",
              toolName: "send_email",
              input: '{"to":"bob@x.com","body":"hi"}',
            },
          ],
          "tool-calls",
        ),
        step(
          [
            { type: "text", text: "Email is not allowed; I will refund instead." },
            { type: "tool-call", toolCallId: "call r/1", toolName: "refund", input: '{"order":"A-1"}' },
          ],
          "tool-calls",
        ),
        step([{ type: "text", text: "Done." }], "stop"),
      ],
    });

    const result = await generateText({
      ...wardenAiSdk(session, { model, tools }),
      prompt: "Weather in Paris, mail Bob, refund A-1",
      stopWhen: stepCountIs(5),
    });

    expect(result.text).toBe("Done.");
    expect(ran).toEqual(["get_weather:Paris"]);
    const errors = result.steps.flatMap((s) => s.content).filter((p) => p.type === "tool-error");
    expect(errors.map((e) => (e.error as ToolRefusedError).code)).toEqual(["TOOL_DENIED", "APPROVAL_DENIED"]);
    expect(errors[0]?.error).toBeInstanceOf(ToolRefusedError);

    // The model was told, as text, why its email did not go out.
    const secondPrompt = JSON.stringify(model.doGenerateCalls[1]?.prompt);
    expect(secondPrompt).toContain("Warden refused this tool call (TOOL_DENIED)");
    expect(secondPrompt).toContain("agents never send email");
    expect(secondPrompt).toContain("sunny");
    expect(JSON.stringify(model.doGenerateCalls[2]?.prompt)).toContain("refunds need a ticket");

    const intents = await warden.ledger.store.query({ session: session.id, kinds: ["call.intent"] });
    expect(
      intents.map((r) => [r.callId, r.data.tool, (r.data.decision as { effect: string }).effect]),
    ).toEqual([
      ["call_w1", "get_weather", "allow"],
      ["call_e1", "send_email", "deny"],
      [expect.stringMatching(/^h:[0-9a-f]{32}$/), "refund", "ask"],
    ]);
    expect(intents[0]?.data.rationale).toBe("Checking the weather, then mailing Bob.");
    expect(intents[1]?.data.args).toEqual({ to: "bob@x.com", body: "hi" });
    expect(intents[2]?.data.rationale).toBe(
      'Email is not allowed; I will refund instead.\n[framework call id: "call r/1"]',
    );
    const outcomes = await warden.ledger.store.query({ session: session.id, kinds: ["call.outcome"] });
    expect(outcomes.map((r) => [r.callId, r.data.status])).toEqual([["call_w1", "ok"]]);
  });

  it("asks through the SDK's own approval flow when the tool uses it, and records the person in Warden", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({
      agent: "bot",
      onBehalfOf: "alice@example.com",
      intent: "refunds",
    });
    const { ran, tools } = toolsWithSpies();
    // The caller opts into the SDK's flow by giving the tool a needsApproval (its own answer: never).
    const withFlow = { ...tools, refund: { ...tools.refund, needsApproval: false } };
    const model = new MockLanguageModelV3({
      doGenerate: [
        step(
          [{ type: "tool-call", toolCallId: "call_r1", toolName: "refund", input: '{"order":"A-1"}' }],
          "tool-calls",
        ),
        step([{ type: "text", text: "Refunded." }], "stop"),
      ],
    });
    const gated = wardenAiSdk(session, { model, tools: withFlow });
    const first = await generateText({ ...gated, prompt: "refund A-1", stopWhen: stepCountIs(5) });
    const request = first.content.find((p) => p.type === "tool-approval-request");
    expect(request).toBeDefined();
    expect(ran).toEqual([]);
    const pending = warden.approvals.queue.book.byCall("call_r1");
    expect(pending).toMatchObject({ status: "pending", tool: "refund" });

    const response = await wardenApprovalResponse(warden, request!, {
      approved: true,
      approver: { name: "dana@sec.example.com" },
    });
    const second = await generateText({
      ...gated,
      messages: [
        { role: "user", content: "refund A-1" },
        ...first.response.messages,
        { role: "tool", content: [response] },
      ],
      stopWhen: stepCountIs(5),
    });
    expect(second.text).toBe("Refunded.");
    expect(ran).toEqual(["refund:A-1"]);
    const records = await warden.ledger.store.query({ callId: "call_r1" });
    expect(records.map((r) => r.kind)).toEqual([
      "call.intent",
      "approval.request",
      "approval.decision",
      "call.outcome",
    ]);
    expect(records[2]!.data).toMatchObject({
      approver: "dana@sec.example.com",
      via: "ai-sdk",
      decision: "approve",
    });
  });

  it("streams: streamText through the wrapped model records the streamed text as rationale", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const { streamText } = await import("ai");
    const { convertArrayToReadableStream } = await import("ai/test");
    const parts = [
      [
        { type: "text-start", id: "t1" },
        { type: "text-delta", id: "t1", delta: "Mail " },
        { type: "text-delta", id: "t1", delta: "Bob." },
        { type: "text-end", id: "t1" },
        { type: "tool-call", toolCallId: "s_e1", toolName: "send_email", input: '{"to":"b","body":"x"}' },
        { type: "finish", finishReason: { unified: "tool-calls", raw: "tool-calls" }, usage },
      ],
      [
        { type: "text-start", id: "t2" },
        { type: "text-delta", id: "t2", delta: "Could not." },
        { type: "text-end", id: "t2" },
        { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage },
      ],
    ] as const;
    let call = 0;
    const model = new MockLanguageModelV3({
      doStream: async () => ({ stream: convertArrayToReadableStream([...(parts[call++] ?? [])]) }),
    });
    const result = streamText({
      ...wardenAiSdk(session, { model, tools }),
      prompt: "mail",
      stopWhen: stepCountIs(3),
    });
    expect(await result.text).toBe("Could not.");
    expect(ran).toEqual([]);
    const [intent] = await warden.ledger.store.query({ callId: "s_e1", kinds: ["call.intent"] });
    expect(intent?.data.rationale).toBe("Mail Bob.");
  });

  it("an error from an allowed tool's own body is the tool's, not a refusal, and is recorded as its outcome", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const broken = tool({
      inputSchema: z.object({ city: z.string() }),
      execute: async (): Promise<string> => {
        throw Object.assign(new Error("upstream down"), { code: "UPSTREAM_DOWN" });
      },
    });
    const gated = wardenTools(session, { get_weather: broken });
    const failure = await Promise.resolve(
      gated.get_weather.execute?.({ city: "Rome" }, { toolCallId: "call_x", messages: [] }),
    ).catch((e: unknown) => e);
    expect(failure).not.toBeInstanceOf(ToolRefusedError);
    expect(failure).toMatchObject({ message: "upstream down" });
    const [outcome] = await warden.ledger.store.query({ callId: "call_x", kinds: ["call.outcome"] });
    expect(outcome?.data).toMatchObject({ status: "error", error: { code: "UPSTREAM_DOWN" } });
  });

  it("direct execute without the model wrapper still gates, and a refused body never runs", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "trip" });
    const { ran, tools } = toolsWithSpies();
    const gated = wardenTools(session, tools);
    const opts = { toolCallId: "direct_1", messages: [] };
    await expect(gated.send_email.execute?.({ to: "x", body: "y" }, opts)).rejects.toMatchObject({
      code: "TOOL_DENIED",
    });
    expect(ran).toEqual([]);
    // A replayed tool-call id is refused, not run twice.
    await expect(gated.get_weather.execute?.({ city: "Oslo" }, opts)).rejects.toMatchObject({
      code: "CALL_ID_CONFLICT",
    });
    expect(ran).toEqual([]);
  });

  it("runs a call the SDK resumes only with the input Warden decided: edited message history is refused", async () => {
    const { warden } = await openWarden(ADAPTER_POLICY);
    const session = await warden.session({
      agent: "bot",
      onBehalfOf: "alice@example.com",
      intent: "weather",
    });
    const { ran, tools } = toolsWithSpies();
    // Warden allows get_weather; the tool asks its own user first (the SDK's approval flow).
    const withFlow = { ...tools, get_weather: { ...tools.get_weather, needsApproval: true } };
    const model = new MockLanguageModelV3({
      doGenerate: [
        step(
          [{ type: "tool-call", toolCallId: "call_w1", toolName: "get_weather", input: '{"city":"Paris"}' }],
          "tool-calls",
        ),
        step([{ type: "text", text: "Done." }], "stop"),
      ],
    });
    const gated = wardenAiSdk(session, { model, tools: withFlow });
    const first = await generateText({ ...gated, prompt: "weather in Paris", stopWhen: stepCountIs(5) });
    const request = first.content.find((p) => p.type === "tool-approval-request");
    expect(request).toBeDefined();
    // The client sends the history back with the call's input changed after it was decided.
    const edited = JSON.parse(JSON.stringify(first.response.messages).replace('"Paris"', '"Atlantis"'));
    const second = await generateText({
      ...gated,
      messages: [
        { role: "user", content: "weather in Paris" },
        ...edited,
        {
          role: "tool",
          content: [{ type: "tool-approval-response", approvalId: request!.approvalId, approved: true }],
        },
      ],
      stopWhen: stepCountIs(5),
    });
    expect(ran).toEqual([]);
    // The model reads the refusal as the call's result.
    expect(JSON.stringify(second.response.messages[0])).toMatch(
      /APPROVAL_MISMATCH.*not the ones Warden decided/,
    );
  });
});
