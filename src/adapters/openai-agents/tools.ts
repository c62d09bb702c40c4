// Gates OpenAI Agents function tools: Warden decides in `needsApproval` (so an `ask` becomes the SDK's own
// interruption), and `invoke`, the only path the runner takes to the body, runs only what was allowed.
import type { RunContext, Tool } from "@openai/agents";
import { type Session, WardenError } from "../../index.js";
import type { RationaleLog } from "../rationale-log.js";
import { DecidedCalls, gatedCall, heldCall, parseArgs, rationaleOf, wardenCallId } from "../shared.js";

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
 * call id. Warden decides when the runner asks the tool's `needsApproval`: a policy `ask` interrupts
 * the run like the SDK's own approvals (`result.interruptions`), and `approveInterruption` /
 * `rejectInterruption` record the person's decision in Warden before resuming. A refused call does not
 * throw: like the SDK's own tool errors it returns text the model reads (through the tool's
 * `errorFunction` when it has one), and the run goes on. Local tools this adapter cannot gate
 * (computer, shell, apply_patch) are refused with INVALID_REQUEST rather than left to run unrecorded.
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
  // Decisions taken in needsApproval, waiting for the invoke of the same call with the same input.
  const decided = new DecidedCalls();
  return tools.map((t) => {
    if (t.type === "function") return gateFunctionTool(session, t, decided, options.rationales);
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
  decided: DecidedCalls,
  log?: RationaleLog,
): AnyFunctionTool<C> {
  const needsApproval: AnyFunctionTool<C>["needsApproval"] = async (runContext, input, callId) => {
    // The tool's own approval policy still applies; Warden's decision is taken (and recorded) once.
    const own = await t.needsApproval(runContext as RunContext<C>, input, callId);
    if (callId === undefined) return own;
    let decision = decided.get(callId);
    if (!decision) {
      const args = typeof input === "string" ? parseArgs(input) : input;
      decision = await session.check(t.name, args, {
        callId: wardenCallId(callId),
        rationale: rationaleOf(log?.take(callId), callId),
      });
      decided.set(callId, decision);
    }
    return own || decision.approval?.status === "pending";
  };
  const invoke: AnyFunctionTool<C>["invoke"] = async (runContext, input, details) => {
    const callId = details?.toolCall?.callId;
    const decision = decided.take(callId);
    const body = () => t.invoke(runContext, input, details);
    const result = decision
      ? await heldCall(session, decision, parseArgs(input), body)
      : await gatedCall(
          session,
          { tool: t.name, args: parseArgs(input), frameworkCallId: callId, text: log?.take(callId) },
          body,
        );
    if (result.ok) return result.value;
    return t.errorFunction ? t.errorFunction(runContext, result.refusal, details) : result.refusal.message;
  };
  return { ...t, needsApproval, invoke };
}
