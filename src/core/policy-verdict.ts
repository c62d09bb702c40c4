// The policy's verdict on a call, before rate limits and detectors: what the gate decides with, and what
// an approved call is checked against again when the policy was reloaded while it waited.
import type { SessionInfo } from "../identity/index.js";
import type { JsonValue } from "../json.js";
import type { CompiledPolicy, PolicyDecision } from "../policy/index.js";
import type { ToolRunner } from "./request.js";

/**
 * The policy's verdict on a call, as the gate reaches it before detections: a command tool outside
 * its sandbox is refused whatever the policy says.
 */
export function policyVerdict(
  policy: CompiledPolicy,
  call: { tool: string; args: JsonValue; session: SessionInfo; runner: ToolRunner },
): PolicyDecision {
  const { tool, session } = call;
  const verdict = policy.evaluate({
    tool,
    args: call.args,
    agent: { name: session.agent, team: session.team, developer: session.developer },
    session: {
      id: session.id,
      onBehalfOf: session.onBehalfOf,
      intent: session.intent,
      parent: session.parent,
    },
    now: new Date(),
  });
  if (
    call.runner !== "sandbox" &&
    verdict.effect !== "deny" &&
    policy.containment.commandLimits(tool) !== null
  ) {
    return {
      effect: "deny",
      ruleId: "sandbox:command",
      reason: "a command tool runs only in its sandbox (session.command)",
    };
  }
  return verdict;
}
