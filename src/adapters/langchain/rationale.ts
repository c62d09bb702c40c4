// A LangChain callback handler that notes a chat model's text for each tool call in its reply.
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { AIMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { RationaleLog } from "../rationale-log.js";

/** Text of a message's content, whether a string or content blocks. */
function textOf(content: AIMessage["content"]): string {
  if (typeof content === "string") return content;
  return content
    .map((block) => (block.type === "text" && typeof block.text === "string" ? block.text : ""))
    .join("");
}

/**
 * Pass it in the run's `callbacks` (`agent.invoke(input, { callbacks: [handler] })`): each model reply's
 * text is noted for the tool calls in that reply, and the gated tools read it as the call's rationale.
 * `wardenLangChain` sets it up; use it directly with `wardenLangChainTools`.
 *
 * @example
 * const rationales = new RationaleLog();
 * const tools = wardenLangChainTools(session, myTools, { rationales });
 * await agent.invoke(input, { callbacks: [new RationaleHandler(rationales)] });
 */
export class RationaleHandler extends BaseCallbackHandler {
  readonly name = "agent-warden-rationale";
  readonly #log: RationaleLog;

  constructor(log: RationaleLog) {
    super();
    this.#log = log;
    // The note must be in place before the agent runs the tools the reply asks for.
    this.awaitHandlers = true;
  }

  override handleLLMEnd(output: LLMResult): void {
    for (const generation of output.generations.flat()) {
      const message = (generation as { message?: AIMessage }).message;
      const ids = (message?.tool_calls ?? []).flatMap((c) => (c.id ? [c.id] : []));
      if (message && ids.length > 0) this.#log.note(ids, textOf(message.content));
    }
  }
}
