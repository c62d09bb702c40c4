// Gates LangChain structured tools by overriding `_call`, which every invoke/call path runs after parsing.
import { ToolMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { Session } from "../../index.js";
import type { RationaleLog } from "../rationale-log.js";
import { gatedCall, type ToolRefusedError } from "../shared.js";

export interface WardenLangChainToolsOptions {
  /** Where the model's text for each call id is noted (`wardenLangChain` returns the handler that fills it). */
  rationales?: RationaleLog;
}

/** The parts of a StructuredTool this adapter uses; `_call` is protected in the class, public in fact. */
interface CallableTool {
  name: string;
  responseFormat?: string;
  _call(arg: unknown, runManager?: unknown, config?: { toolCall?: { id?: string } }): Promise<unknown>;
}

/**
 * Returns a gated stand-in for each tool: same name, schema and class (it inherits from the original), but
 * its body runs only through `session`'s gate. The model's tool-call id becomes the Warden call id. When
 * the tool was called by a model (a ToolCall), a refusal comes back as a `ToolMessage` with
 * `status: "error"` the model reads, and the agent loop goes on; called directly with plain arguments,
 * it throws `ToolRefusedError`.
 *
 * @example
 * import { tool } from "@langchain/core/tools";
 * import { z } from "zod";
 * const [weather] = wardenLangChainTools(session, [
 *   tool(async ({ city }) => `sunny in ${city}`, { name: "get_weather", schema: z.object({ city: z.string() }) }),
 * ]);
 */
export function wardenLangChainTools<T extends StructuredToolInterface>(
  session: Session,
  tools: readonly T[],
  options: WardenLangChainToolsOptions = {},
): T[] {
  return tools.map((original) => {
    const inner = original as unknown as CallableTool;
    const gated = Object.create(original) as T & CallableTool;
    gated._call = async (arg, runManager, config) => {
      const callId = config?.toolCall?.id;
      const result = await gatedCall(
        session,
        { tool: inner.name, args: arg, frameworkCallId: callId, text: options.rationales?.take(callId) },
        () => inner._call(arg, runManager, config),
      );
      if (result.ok) return result.value;
      if (callId === undefined) throw result.refusal;
      return refusalOutput(inner, result.refusal, callId);
    };
    return gated;
  });
}

/** What the model gets for a refused call, in the shape the tool's response format expects. */
function refusalOutput(tool: CallableTool, refusal: ToolRefusedError, callId: string): unknown {
  const artifact = { warden: { code: refusal.code, refusal: refusal.refusal ?? null } };
  // A content_and_artifact tool must return a (content, artifact) pair; LangChain wraps it in a ToolMessage.
  if (tool.responseFormat === "content_and_artifact") return [refusal.message, artifact];
  return new ToolMessage({
    content: refusal.message,
    tool_call_id: callId,
    name: tool.name,
    status: "error",
    artifact,
  });
}
