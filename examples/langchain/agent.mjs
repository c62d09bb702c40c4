// A LangChain agent whose tools go through Warden; LangChain's scripted fake model stands in for the LLM, so it runs offline.
// Run: npm run build && node examples/langchain/agent.mjs
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { Warden } from "agent-warden";
import { wardenLangChain } from "agent-warden/langchain";
import { createAgent } from "langchain";
import { z } from "zod";

// What a real model might answer: check the weather, try to mail Bob, then wrap up.
const model = fakeModel()
  .respond(
    new AIMessage({
      content: "I'll check the weather, then mail Bob the forecast.",
      tool_calls: [
        { id: "call_1", name: "get_weather", args: { city: "Paris" } },
        { id: "call_2", name: "send_email", args: { to: "bob@example.com", body: "sunny" } },
      ],
    }),
  )
  .respond(new AIMessage("It is sunny in Paris. I was not allowed to email Bob."));

const dir = mkdtempSync(join(tmpdir(), "warden-langchain-"));
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
  const { tools, callbacks } = wardenLangChain(session, [
    tool(async ({ city }) => `sunny in ${city}`, {
      name: "get_weather",
      description: "Current weather in a city",
      schema: z.object({ city: z.string() }),
    }),
    tool(async () => "sent", {
      name: "send_email",
      description: "Send an email",
      schema: z.object({ to: z.string(), body: z.string() }),
    }),
  ]);
  const agent = createAgent({ model, tools });
  const result = await agent.invoke(
    { messages: [{ role: "user", content: "Weather in Paris? Mail it to Bob." }] },
    { callbacks },
  );
  for (const m of result.messages) {
    if (ToolMessage.isInstance(m) && m.status === "error") console.log(`the model read: ${m.content}`);
  }
  console.log(`model: ${result.messages.at(-1).content}`);
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
