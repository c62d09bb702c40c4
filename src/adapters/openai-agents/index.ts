// agent-warden/openai-agents: OpenAI Agents SDK agents whose function tools run only through a Warden session.
import type { Agent, AgentOutputType, Handoff } from "@openai/agents";
import { type Session, WardenError } from "../../index.js";
import { RationaleLog } from "../rationale-log.js";
import { rationaleModel } from "./model.js";
import { type WardenAgentToolsOptions, wardenAgentTools } from "./tools.js";

export { RationaleLog } from "../rationale-log.js";
export { denialText, ToolRefusedError, wardenCallId } from "../shared.js";
export { approveInterruption, type InterruptionApprover, rejectInterruption } from "./approvals.js";
export { rationaleModel } from "./model.js";
export { type WardenAgentToolsOptions, wardenAgentTools } from "./tools.js";

/** Agents this module returned: a handoff to one of them is already gated. */
const gated = new WeakSet<object>();

/**
 * A copy of `agent` whose function tools go through `session`'s gate, and whose model (when it is a
 * `Model` object, not a name) is wrapped so the text it writes beside a tool call becomes the call's
 * rationale. Handoff agents are gated the same way; a `handoff(…)` object must wrap an agent this
 * function returned, else INVALID_REQUEST — a handoff must not be a way around the gate.
 *
 * @example
 * import { Agent, run, tool } from "@openai/agents";
 * import { wardenAgent } from "agent-warden/openai-agents";
 * const agent = wardenAgent(session, new Agent({ name: "assistant", model, tools: [tool({ … })] }));
 * const result = await run(agent, "What is the weather in Paris?");
 */
export function wardenAgent<C, O extends AgentOutputType>(
  session: Session,
  agent: Agent<C, O>,
  options: Omit<WardenAgentToolsOptions, "rationales"> = {},
): Agent<C, O> {
  return gateAgent(session, agent, options, new Map());
}

function gateAgent<C, O extends AgentOutputType>(
  session: Session,
  agent: Agent<C, O>,
  options: Omit<WardenAgentToolsOptions, "rationales">,
  seen: Map<object, object>,
): Agent<C, O> {
  if (gated.has(agent)) return agent;
  const done = seen.get(agent);
  if (done) return done as Agent<C, O>;
  const rationales = new RationaleLog();
  const model = typeof agent.model === "string" ? agent.model : rationaleModel(agent.model, rationales);
  const copy = agent.clone({
    model,
    tools: wardenAgentTools(session, agent.tools, { ...options, rationales }),
    handoffs: [],
  });
  // Registered before the handoffs are gated, so agents that hand off to each other terminate.
  seen.set(agent, copy);
  gated.add(copy);
  copy.handoffs = agent.handoffs.map((h) => {
    if (!isHandoff(h)) return gateAgent(session, h, options, seen);
    if (gated.has(h.agent)) return h;
    throw new WardenError(
      "INVALID_REQUEST",
      `handoff "${h.toolName}" leads to an agent not wrapped by wardenAgent(); wrap it first`,
      { handoff: h.toolName },
    );
  });
  return copy;
}

function isHandoff<O extends AgentOutputType>(
  h: Agent<unknown, O> | Handoff<unknown, O>,
): h is Handoff<unknown, O> {
  return typeof (h as Partial<Handoff<unknown, O>>).onInvokeHandoff === "function";
}
