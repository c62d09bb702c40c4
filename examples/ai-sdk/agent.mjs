// An AI SDK agent whose tools go through Warden; a scripted mock model stands in for the LLM, so it runs offline.
// Run: npm run build && node examples/ai-sdk/agent.mjs
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Warden } from "agent-warden";
import { wardenAiSdk } from "agent-warden/ai-sdk";
import { generateText, stepCountIs, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { z } from "zod";

const usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};
const turn = (content, finish) => ({
  content,
  finishReason: { unified: finish, raw: finish },
  usage,
  warnings: [],
});
// What a real model might answer: check the weather, try to mail Bob, then wrap up.
const model = new MockLanguageModelV3({
  doGenerate: [
    turn(
      [
        { type: "text", text: "I'll check the weather, then mail Bob the forecast." },
        { type: "tool-call", toolCallId: "call_1", toolName: "get_weather", input: '{"city":"Paris"}' },
        {
          type: "tool-call",
          toolCallId: "call_2",
          toolName: "send_email",
          input: '{"to":"bob@example.com","body":"sunny"}',
        },
      ],
      "tool-calls",
    ),
    turn([{ type: "text", text: "It is sunny in Paris. I was not allowed to email Bob." }], "stop"),
  ],
});

const dir = mkdtempSync(join(tmpdir(), "warden-ai-sdk-"));
const warden = await Warden.open({
  policy: { allowed_tools: ["get_weather"], blocked_tools: ["send_email"] },
  db: join(dir, "ledger.db"),
});
try {
  const session = await warden.session({
    agent: "travel-bot",
    onBehalfOf: "alice@example.com",
    intent: "plan a trip",
  });
  const gated = wardenAiSdk(session, {
    model,
    tools: {
      get_weather: tool({
        description: "Current weather in a city",
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => ({ city, sky: "sunny" }),
      }),
      send_email: tool({
        description: "Send an email",
        inputSchema: z.object({ to: z.string(), body: z.string() }),
        execute: async () => "sent",
      }),
    },
  });
  const result = await generateText({
    ...gated,
    prompt: "Weather in Paris? Mail it to Bob.",
    stopWhen: stepCountIs(4),
  });
  for (const part of result.steps.flatMap((s) => s.content)) {
    if (part.type === "tool-error") console.log(`the model read: ${part.error.message}`);
  }
  console.log(`model: ${result.text}`);
  await session.end();
  for (const r of await warden.ledger.store.query({ session: session.id, kinds: ["call.intent"] })) {
    console.log(
      `ledger: ${r.callId} ${r.data.tool} ${r.data.decision.effect} — rationale: ${r.data.rationale}`,
    );
  }
} finally {
  await warden.close();
  rmSync(dir, { recursive: true, force: true });
}
