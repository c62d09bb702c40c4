// Gates the `execute` of every tool in an AI SDK tool set through a Warden session.
import type { ToolExecutionOptions, ToolSet } from "ai";
import type { Session } from "../../index.js";
import type { RationaleLog } from "../rationale-log.js";
import { DecidedCalls, gatedCall, heldCall, rationaleOf, wardenCallId } from "../shared.js";

export interface WardenToolsOptions {
  /** Where the model's text for each call id is noted (see `wardenAiSdk`, which wraps the model to fill it). */
  rationales?: RationaleLog;
}

type NeedsApprovalOptions = Pick<ToolExecutionOptions, "toolCallId" | "messages">;

/**
 * Returns the same tool set with each `execute` going through `session`'s gate; the model's tool-call id
 * becomes the Warden call id. A refused call throws `ToolRefusedError`, which the AI SDK turns into a
 * `tool-error` the model reads as text, so the agent loop goes on. On a policy `ask`:
 * - a tool that uses the SDK's own approval flow (it has `needsApproval`) asks through it: Warden
 *   decides in `needsApproval`, the SDK returns a `tool-approval-request`, and
 *   `wardenApprovalResponse` records the person's answer in Warden and builds the SDK's response;
 * - any other tool waits in `execute` until people decide in Warden (dashboard, CLI, chat-ops).
 * Tools without `execute` (run by the client) are returned unchanged: Warden never sees them run.
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
  // Decisions taken in needsApproval, waiting for the execute of the same call with the same input.
  const decided = new DecidedCalls();
  for (const [name, original] of Object.entries(tools)) {
    const execute = original.execute;
    if (typeof execute !== "function") {
      out[name] = original;
      continue;
    }
    const gated = async (input: unknown, opts: ToolExecutionOptions) => {
      const held = decided.take(opts.toolCallId);
      const body = () => execute.call(original, input as never, opts);
      const result = held
        ? await heldCall(session, held, input, body)
        : await gatedCall(
            session,
            {
              tool: name,
              args: input,
              frameworkCallId: opts.toolCallId,
              text: options.rationales?.take(opts.toolCallId),
            },
            body,
          );
      if (!result.ok) throw result.refusal;
      return result.value;
    };
    const own = original.needsApproval;
    if (own === undefined) {
      out[name] = { ...original, execute: gated };
      continue;
    }
    // The caller uses the SDK's approval flow: Warden decides here, once, and a pending approval asks.
    const needsApproval = async (input: unknown, opts: NeedsApprovalOptions) => {
      const ownAnswer = typeof own === "function" ? await own(input as never, opts as never) : own;
      let decision = decided.get(opts.toolCallId);
      if (!decision) {
        decision = await session.check(name, input, {
          callId: wardenCallId(opts.toolCallId),
          rationale: rationaleOf(options.rationales?.take(opts.toolCallId), opts.toolCallId),
        });
        decided.set(opts.toolCallId, decision);
      }
      return ownAnswer || decision.approval?.status === "pending";
    };
    out[name] = { ...original, execute: gated, needsApproval };
  }
  // Same keys, same tools but for `execute` (and `needsApproval`), whose signatures are unchanged.
  return out as T;
}
