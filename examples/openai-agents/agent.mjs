// An OpenAI Agents SDK agent whose tools go through Warden; a scripted Model stands in for the LLM, so it runs offline.
// Run: npm run build && node examples/openai-agents/agent.mjs
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, Runner, tool, Usage } from "@openai/agents";
import { Warden } from "agent-warden";
import { wardenAgent } from "agent-warden/openai-agents";
import { z } from "zod";

/** A Model that plays back scripted turns: what a real model might answer. */
class ScriptedModel {
  #turns;
  constructor(turns) {
    this.#turns = turns;
  }
  async getResponse(request) {
    const sent = Array.isArray(request.input) ? request.input : [];
    for (const item of sent) {
      if (item.type === "function_call_result" && item.output?.text?.startsWith("Warden"))
        console.log(`the model read: ${item.output.text}`);
    }
    return { usage: new Usage(), output: this.#turns.shift() ?? [] };
  }
  async *getStreamedResponse(request) {
    // Streaming (runner.run(…, { stream: true })) plays the same turn back as one final event.
    const response = await this.getResponse(request);
    yield { type: "response_done", response: { id: "scripted", usage: {}, output: response.output } };
  }
}
const say = (text) => ({
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text }],
});
const call = (callId, name, args) => ({
  type: "function_call",
  callId,
  name,
  arguments: JSON.stringify(args),
  status: "completed",
});

const model = new ScriptedModel([
  [
    say("I'll check the weather, then mail Bob the forecast."),
    call("call_1", "get_weather", { city: "Paris" }),
    call("call_2", "send_email", { to: "bob@example.com", body: "sunny" }),
  ],
  [say("It is sunny in Paris. I was not allowed to email Bob.")],
]);

const dir = mkdtempSync(join(tmpdir(), "warden-openai-agents-"));
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
  const agent = wardenAgent(
    session,
    new Agent({
      name: "travel-bot",
      model,
      tools: [
        tool({
          name: "get_weather",
          description: "Current weather in a city",
          parameters: z.object({ city: z.string() }),
          execute: async ({ city }) => `sunny in ${city}`,
        }),
        tool({
          name: "send_email",
          description: "Send an email",
          parameters: z.object({ to: z.string(), body: z.string() }),
          execute: async () => "sent",
        }),
      ],
    }),
  );
  const result = await new Runner({ tracingDisabled: true }).run(agent, "Weather in Paris? Mail it to Bob.");
  console.log(`model: ${result.finalOutput}`);
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
