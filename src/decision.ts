// The vocabulary of a decision, shared by the policy, the detectors that strengthen it and the gate.

export type Effect = "allow" | "deny" | "ask";
export type Mode = "enforce" | "monitor";

/** A decision is a value. `ruleId` names what decided: a rule's id, "agent.tools", "default" or `detect:<name>`. */
export interface PolicyDecision {
  effect: Effect;
  ruleId: string;
  reason: string;
}
