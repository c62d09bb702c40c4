// Gates the `execute` of every tool in an AI SDK tool set through a Warden session.
import type { ToolExecutionOptions, ToolSet } from "ai";
import type { Session } from "../../index.js";
import type { RationaleLog } from "../rationale-log.js";
import { gatedCall } from "../shared.js";

export interface WardenToolsOptions {
  /** Where the model's text for each call id is noted (see `wardenAiSdk`, which wraps the model to fill it). */
  rationales?: RationaleLog;
}

/**
 * Returns the same tool set with each `execute` going through `session`'s gate; the model's tool-call id
 * becomes the Warden call id. A refused call throws `ToolRefusedError`, which the AI SDK turns into a
 * `tool-error` the model reads as text, so the agent loop goes on. Tools without `execute` (run by the
 * client) are returned unchanged: Warden never sees them run.
 *
 * @example
 * import { generateText, stepCountIs, tool } from "ai";
 * import { z } from "zod";
 * const tools = wardenTools(session, {
 *   weather: tool({ inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `sunny in ${city}` }),
 * });
 * await generateText({ model, tools, stopWhen: stepCountIs(5), prompt: "Weather in Paris?" });
 */
export function wardenTools<T extends ToolSet>(
  session: Session,
  tools: T,
  options: WardenToolsOptions = {},
): T {
  const out: ToolSet = {};
  for (const [name, original] of Object.entries(tools)) {
    const execute = original.execute;
    if (typeof execute !== "function") {
      out[name] = original;
      continue;
    }
    const gated = async (input: unknown, opts: ToolExecutionOptions) => {
      const result = await gatedCall(
        session,
        {
          tool: name,
          args: input,
          frameworkCallId: opts.toolCallId,
          text: options.rationales?.take(opts.toolCallId),
        },
        () => execute.call(original, input as never, opts),
      );
      if (!result.ok) throw result.refusal;
      return result.value;
    };
    out[name] = { ...original, execute: gated };
  }
  // Same keys, same tools but for `execute`, whose signature is unchanged.
  return out as T;
}
