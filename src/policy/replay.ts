// Re-decides recorded calls under a candidate policy, to show what a policy change would change.
import type { JsonValue } from "../json.js";
import type { CompiledPolicy, Effect } from "./types.js";

/** A call as the ledger recorded it, with the decision it got then. */
export interface ReplayCall {
  callId: string;
  ts: string;
  tool: string;
  args: JsonValue;
  agent: string;
  session: { id: string; onBehalfOf: string; intent: string; parent: string | null };
  before: { effect: Effect; ruleId: string };
}

export interface ReplayChange {
  callId: string;
  ts: string;
  tool: string;
  agent: string;
  before: { effect: Effect; ruleId: string };
  after: { effect: Effect; ruleId: string; reason: string };
}

export interface ReplayReport {
  total: number;
  unchanged: number;
  /** Calls whose effect differs under the candidate, in input order. */
  changed: ReplayChange[];
  /** Changed calls per transition, keyed like "allow→deny". */
  transitions: Record<string, number>;
  /** Every replayed call per rule that decided it under the candidate. */
  byRule: Record<string, number>;
  /** Changed calls per rule that decided them under the candidate: which rules a change comes from. */
  changedByRule: Record<string, number>;
}

/**
 * Evaluates each recorded call against `candidate` at its recorded time (`ts`) and reports the calls
 * whose effect changed. Args the ledger recorded redacted (values replaced by `sha256:` digests)
 * are replayed as recorded, so a `when:` that reads a redacted field sees the digest, not the
 * original value. Team and developer come from the candidate's registry.
 * @example
 * const report = replayCalls(candidate, calls);
 * console.log(report.transitions["allow→deny"] ?? 0);
 */
export function replayCalls(candidate: CompiledPolicy, calls: readonly ReplayCall[]): ReplayReport {
  const changed: ReplayChange[] = [];
  // Maps, not objects, while counting: a rule may be called "__proto__".
  const transitions = new Map<string, number>();
  const byRule = new Map<string, number>();
  const changedByRule = new Map<string, number>();
  for (const call of calls) {
    const profile = candidate.agents?.get(call.agent);
    const parsed = new Date(call.ts);
    const after = candidate.evaluate({
      tool: call.tool,
      args: call.args,
      agent: { name: call.agent, team: profile?.team ?? null, developer: profile?.developer ?? null },
      session: call.session,
      now: Number.isNaN(parsed.getTime()) ? new Date() : parsed,
    });
    bump(byRule, after.ruleId);
    if (after.effect === call.before.effect) continue;
    bump(transitions, `${call.before.effect}→${after.effect}`);
    bump(changedByRule, after.ruleId);
    changed.push({
      callId: call.callId,
      ts: call.ts,
      tool: call.tool,
      agent: call.agent,
      before: call.before,
      after,
    });
  }
  return {
    total: calls.length,
    unchanged: calls.length - changed.length,
    changed,
    transitions: Object.fromEntries(transitions),
    byRule: Object.fromEntries(byRule),
    changedByRule: Object.fromEntries(changedByRule),
  };
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
