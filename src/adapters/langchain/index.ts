// agent-warden/langchain: LangChain.js tools whose every call goes through a Warden session.
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { Session } from "../../index.js";
import { RationaleLog } from "../rationale-log.js";
import { RationaleHandler } from "./rationale.js";
import { wardenLangChainTools } from "./tools.js";

export { RationaleLog } from "../rationale-log.js";
export { denialText, ToolRefusedError, wardenCallId } from "../shared.js";
export { RationaleHandler } from "./rationale.js";
export { type WardenLangChainToolsOptions, wardenLangChainTools } from "./tools.js";

/**
 * Gates `tools` through `session` and returns the callback handler that records the model's text as each
 * call's rationale: pass `callbacks` to the run (without it, calls are still gated, just without rationale).
 *
 * @example
 * import { createAgent } from "langchain";
 * import { wardenLangChain } from "agent-warden/langchain";
 * const { tools, callbacks } = wardenLangChain(session, [getWeather, sendEmail]);
 * const agent = createAgent({ model, tools });
 * await agent.invoke({ messages: [{ role: "user", content: "…" }] }, { callbacks });
 */
export function wardenLangChain<T extends StructuredToolInterface>(
  session: Session,
  tools: readonly T[],
): { tools: T[]; callbacks: [RationaleHandler] } {
  const rationales = new RationaleLog();
  return {
    tools: wardenLangChainTools(session, tools, { rationales }),
    callbacks: [new RationaleHandler(rationales)],
  };
}
