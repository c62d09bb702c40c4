// `warden who CALL_ID`: the accountability chain of one call, read back from the ledger.
import { WardenError } from "../errors.js";
import type { JsonValue } from "../json.js";
import type { LedgerRecord, LedgerStore } from "../ledger/index.js";
import type { Principal } from "./principal.js";

export interface AccountabilityChain {
  callId: string;
  /** The prompting user. */
  user: string;
  /** Each agent from the one the user prompted down to the one that called the tool. */
  agents: {
    name: string;
    team: string | null;
    developer: string | null;
    session: string;
    intent: string | null;
  }[];
  tool: string;
  args: JsonValue;
  redacted: string[];
  rationale: string | null;
  decision: { effect: string; enforced: string; ruleId: string; reason: string };
  mode: string;
  policyDigest: string;
  approvals: { approver: string | null; decision: string | null; at: string }[];
  outcome: { status: string; durationMs: number | null; error: string | null; at: string } | null;
  decidedAt: string;
}

export async function accountabilityOf(store: LedgerStore, callId: string): Promise<AccountabilityChain> {
  const records = await store.query({ callId });
  const intent = records.find((r) => r.kind === "call.intent");
  if (!intent) throw new WardenError("CALL_NOT_FOUND", `no call ${callId}`);
  const data = intent.data as Record<string, JsonValue>;
  const principal = (data.principal ?? []) as unknown as Principal[];
  const user = principal.find((p) => p.kind === "user");
  const agents = [];
  for (const p of principal) {
    if (p.kind !== "agent") continue;
    const session = await store.session(p.session);
    agents.push({
      name: p.name,
      team: p.team,
      developer: p.developer,
      session: p.session,
      intent: session?.intent ?? null,
    });
  }
  const decision = (data.decision ?? {}) as Record<string, string>;
  const outcome = records.find((r) => r.kind === "call.outcome");
  return {
    callId,
    user: user?.kind === "user" ? user.id : "",
    agents,
    tool: String(data.tool),
    args: data.args ?? null,
    redacted: (data.redacted ?? []) as string[],
    rationale: typeof data.rationale === "string" ? data.rationale : null,
    decision: {
      effect: decision.effect ?? "",
      enforced: decision.enforced ?? "",
      ruleId: decision.ruleId ?? "",
      reason: decision.reason ?? "",
    },
    mode: String(data.mode ?? ""),
    policyDigest: String(data.policy ?? ""),
    approvals: records.filter((r) => r.kind === "approval.decision").map(approvalOf),
    outcome: outcome ? outcomeOf(outcome) : null,
    decidedAt: intent.ts,
  };
}

function approvalOf(record: LedgerRecord) {
  const d = record.data as Record<string, JsonValue>;
  return {
    approver: typeof d.approver === "string" ? d.approver : null,
    decision: typeof d.decision === "string" ? d.decision : null,
    at: record.ts,
  };
}

function outcomeOf(record: LedgerRecord) {
  const d = record.data as Record<string, JsonValue>;
  const error = d.error as { code?: string } | null;
  return {
    status: String(d.status),
    durationMs: typeof d.durationMs === "number" ? d.durationMs : null,
    error: error?.code ?? null,
    at: record.ts,
  };
}

/** The chain as a person reads it, one link a line. */
export function formatAccountability(chain: AccountabilityChain): string {
  const lines = [`call ${chain.callId} at ${chain.decidedAt}`, `  prompted by   ${chain.user}`];
  for (const a of chain.agents) {
    const owner = [a.team && `team ${a.team}`, a.developer && `developer ${a.developer}`]
      .filter(Boolean)
      .join(", ");
    lines.push(`  agent         ${a.name}${owner ? ` (${owner})` : ""}`);
    lines.push(`    session     ${a.session}${a.intent ? ` — intent: ${a.intent}` : ""}`);
  }
  lines.push(`  tool          ${chain.tool}`);
  lines.push(`  arguments     ${JSON.stringify(chain.args)}`);
  if (chain.redacted.length > 0) lines.push(`  redacted      ${chain.redacted.join(", ")}`);
  lines.push(`  rationale     ${chain.rationale ?? "(none given)"}`);
  const d = chain.decision;
  const acted = d.enforced !== d.effect ? ` (acted: ${d.enforced}, ${chain.mode} mode)` : "";
  lines.push(`  decision      ${d.effect}${acted} by rule ${d.ruleId}: ${d.reason}`);
  lines.push(`  policy        ${chain.policyDigest}`);
  for (const a of chain.approvals)
    lines.push(`  approval      ${a.decision ?? "?"} by ${a.approver ?? "?"} at ${a.at}`);
  if (chain.approvals.length === 0) lines.push("  approver      (none)");
  const o = chain.outcome;
  lines.push(
    o
      ? `  outcome       ${o.status}${o.error ? ` (${o.error})` : ""}${o.durationMs !== null ? ` in ${o.durationMs} ms` : ""}`
      : "  outcome       (none recorded)",
  );
  return lines.join("\n");
}
