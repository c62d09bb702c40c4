// The decision procedure: job description, then matching rules (deny > ask > allow), then the default.

import type { AgentProfile } from "../identity/config.js";
import { type CelActivation, type CelCondition, celActivation } from "./cel.js";
import type { Effect, EvalInput, PolicyDecision } from "./types.js";

export interface CompiledRule {
  readonly id: string;
  readonly effect: Effect;
  readonly reason: string;
  readonly matchesTool: (tool: string) => boolean;
  /** null: the rule applies to every agent. */
  readonly matchesAgent: ((agent: string) => boolean) | null;
  readonly when: CelCondition | null;
}

export interface RegisteredAgent {
  readonly profile: AgentProfile;
  readonly mayUse: (tool: string) => boolean;
}

/** Rules that match a (tool, agent) pair before `when:`, split by effect, each in file order. */
interface Candidates {
  readonly deny: readonly CompiledRule[];
  readonly ask: readonly CompiledRule[];
  readonly allow: readonly CompiledRule[];
}

/** Entries of the per-(tool, agent) candidate cache before it is cleared; bounds memory under many names. */
export const RULE_CACHE_LIMIT = 10_000;

export class RuleEngine {
  private readonly cache = new Map<string, Candidates>();

  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly defaultEffect: Effect,
    private readonly agents: ReadonlyMap<string, RegisteredAgent> | null,
  ) {}

  /**
   * Never throws. A `when:` that errors or yields a non-bool at run time (a missing field, a type
   * mismatch) counts as MATCHING for deny and ask rules and as NOT matching for allow rules: a
   * condition the evaluator cannot decide must never be what lets a call through.
   */
  evaluate(input: EvalInput): PolicyDecision {
    try {
      return this.decide(input);
    } catch (err) {
      // Only reachable with inputs that break the EvalInput contract; fail closed all the same.
      const reason = `policy evaluation failed: ${err instanceof Error ? err.message : String(err)}`;
      return { effect: "deny", ruleId: "policy.error", reason };
    }
  }

  private decide(input: EvalInput): PolicyDecision {
    const agentName = input.agent.name;
    let team = input.agent.team;
    let developer = input.agent.developer;
    if (this.agents !== null) {
      const registered = this.agents.get(agentName);
      if (registered === undefined) {
        const reason = `agent "${agentName}" is not in the policy's agents registry`;
        return { effect: "deny", ruleId: "agent.unknown", reason };
      }
      if (!registered.mayUse(input.tool)) {
        const reason = `tool "${input.tool}" is outside the job description of agent "${agentName}"`;
        return { effect: "deny", ruleId: "agent.tools", reason };
      }
      // The registry in force decides: a session keeps what an older policy said when it was opened.
      team = registered.profile.team;
      developer = registered.profile.developer;
    }

    const candidates = this.candidatesFor(input.tool, agentName);
    // Built on first use only: most decisions never touch CEL, and converting args is the costly part.
    let activation: CelActivation | null | undefined;
    const holds = (rule: CompiledRule, onError: boolean): boolean => {
      if (rule.when === null) return true;
      if (activation === undefined) {
        try {
          activation = celActivation(input, team, developer);
        } catch {
          activation = null;
        }
      }
      const result = activation === null ? "error" : rule.when.test(activation);
      return result === "error" ? onError : result;
    };

    for (const rule of candidates.deny) if (holds(rule, true)) return decision(rule);
    for (const rule of candidates.ask) if (holds(rule, true)) return decision(rule);
    for (const rule of candidates.allow) if (holds(rule, false)) return decision(rule);
    const reason = `no rule matched; the policy default is ${this.defaultEffect}`;
    return { effect: this.defaultEffect, ruleId: "default", reason };
  }

  /** See CompiledPolicy.neverAllowed: decided from the rules that match, without evaluating any `when`. */
  neverAllowed(tool: string, agentName: string): boolean {
    if (this.agents !== null) {
      const registered = this.agents.get(agentName);
      if (registered === undefined || !registered.mayUse(tool)) return true;
    }
    const candidates = this.candidatesFor(tool, agentName);
    if (candidates.deny.some((rule) => rule.when === null)) return true;
    return this.defaultEffect === "deny" && candidates.ask.length === 0 && candidates.allow.length === 0;
  }

  private candidatesFor(tool: string, agent: string): Candidates {
    const key = `${tool}\u0000${agent}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const deny: CompiledRule[] = [];
    const ask: CompiledRule[] = [];
    const allow: CompiledRule[] = [];
    for (const rule of this.rules) {
      if (!rule.matchesTool(tool)) continue;
      if (rule.matchesAgent !== null && !rule.matchesAgent(agent)) continue;
      (rule.effect === "deny" ? deny : rule.effect === "ask" ? ask : allow).push(rule);
    }
    const found = { deny, ask, allow };
    if (this.cache.size >= RULE_CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, found);
    return found;
  }
}

function decision(rule: CompiledRule): PolicyDecision {
  return { effect: rule.effect, ruleId: rule.id, reason: rule.reason };
}
