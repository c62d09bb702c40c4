// Gates OpenAI Agents function tools by wrapping their `invoke`, the only path the runner takes to the body.
import type { Tool } from "@openai/agents";
import { type Session, WardenError } from "../../index.js";
import type { RationaleLog } from "../rationale-log.js";
import { gatedCall, parseArgs } from "../shared.js";

export interface WardenAgentToolsOptions {
  /** Where the model's text for each call id is noted (`wardenAgent` fills it by wrapping the model). */
  rationales?: RationaleLog;
  /**
   * Let OpenAI-hosted tools (web search, file search, code interpreter, hosted MCP) through ungated.
   * They run on OpenAI's side, where Warden cannot stop them, so the default refuses them.
   */
  allowHostedTools?: boolean;
}

type AnyFunctionTool<C> = Extract<Tool<C>, { type: "function" }>;

/**
 * Returns `tools` with every function tool gated by `session`. The model's `callId` becomes the Warden
 * call id. A refused call does not throw: like the SDK's own tool errors it returns text the model reads
 * (through the tool's `errorFunction` when it has one, so structured tools keep their output contract),
 * and the run goes on. Local tools this adapter cannot gate (computer, shell, apply_patch) are refused
 * with INVALID_REQUEST rather than left to run unrecorded.
 *
 * @example
 * import { Agent, tool } from "@openai/agents";
 * import { z } from "zod";
 * const tools = wardenAgentTools(session, [
 *   tool({ name: "get_weather", description: "…", parameters: z.object({ city: z.string() }), execute: ({ city }) => `sunny in ${city}` }),
 * ]);
 * const agent = new Agent({ name: "assistant", tools });
 */
export function wardenAgentTools<C>(
  session: Session,
  tools: readonly Tool<C>[],
  options: WardenAgentToolsOptions = {},
): Tool<C>[] {
  return tools.map((t) => {
    if (t.type === "function") return gateFunctionTool(session, t, options.rationales);
    if (t.type === "hosted_tool" && options.allowHostedTools) return t;
    throw new WardenError(
      "INVALID_REQUEST",
      `agent-warden/openai-agents cannot gate the ${t.type} tool "${t.name}"; remove it or gate it yourself`,
      { tool: t.name, type: t.type },
    );
  });
}

function gateFunctionTool<C>(
  session: Session,
  t: AnyFunctionTool<C>,
  log?: RationaleLog,
): AnyFunctionTool<C> {
  const invoke: AnyFunctionTool<C>["invoke"] = async (runContext, input, details) => {
    const callId = details?.toolCall?.callId;
    const result = await gatedCall(
      session,
      { tool: t.name, args: parseArgs(input), frameworkCallId: callId, text: log?.take(callId) },
      () => t.invoke(runContext, input, details),
    );
    if (result.ok) return result.value;
    return t.errorFunction ? t.errorFunction(runContext, result.refusal, details) : result.refusal.message;
  };
  return { ...t, invoke };
}
