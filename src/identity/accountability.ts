// `warden who CALL_ID`: the accountability chain of one call, read back from the ledger.
import { WardenError } from "../errors.js";
import type { JsonValue } from "../json.js";
import { type LedgerRecord, type LedgerStore, readRecord } from "../ledger/index.js";
import { safeText } from "../safe-text.js";
import { vouchedBy } from "./session-info.js";

export interface AccountabilityChain {
  callId: string;
  /** The prompting user. */
  user: string;
  /**
   * Who vouched for the user (the provider and the user's subject there), from the session's
   * `session.start` record; null when the caller named the user (asserted).
   */
  userVerified: { issuer: string; subject: string } | null;
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
  /** The approval the call was asked for, or the remembered one that let it through; null when none. */
  approval: { id: string; status: string } | null;
  approvals: { approver: string | null; decision: string | null; via: string | null; at: string }[];
  outcome: { status: string; durationMs: number | null; error: string | null; at: string } | null;
  decidedAt: string;
}

/**
 * The chain of `callId` as its records tell it. A record of the call whose data does not match its
 * kind's schema throws LEDGER_RECORD_MALFORMED (naming chain and seq): an audit tool must show
 * corruption, not paper over it. Fields a v1 record may lack (the format's first records) read as "".
 */
export async function accountabilityOf(store: LedgerStore, callId: string): Promise<AccountabilityChain> {
  const records = await store.query({ callId });
  const found = records.find((r) => r.kind === "call.intent");
  if (!found) throw new WardenError("CALL_NOT_FOUND", `no call ${callId}`);
  const intent = readRecord(found, "call.intent");
  const { data } = intent;
  const principal = data.principal ?? [];
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
  const { decision } = data;
  const [start] =
    intent.session === null
      ? []
      : await store.query({ session: intent.session, kinds: ["session.start"], limit: 1 });
  const outcome = records.find((r) => r.kind === "call.outcome");
  return {
    callId,
    user: user?.kind === "user" ? user.id : "",
    userVerified: start ? vouchedBy(start) : null,
    agents,
    tool: data.tool,
    args: data.args,
    redacted: data.redacted ?? [],
    rationale: data.rationale ?? null,
    decision: {
      effect: decision.effect,
      enforced: decision.enforced ?? "",
      ruleId: decision.ruleId ?? "",
      reason: decision.reason ?? "",
    },
    mode: data.mode ?? "",
    policyDigest: data.policy ?? "",
    approval: data.approval ? { id: data.approval.id, status: data.approval.status } : null,
    approvals: records.filter((r) => r.kind === "approval.decision").map(approvalOf),
    outcome: outcome ? outcomeOf(outcome) : null,
    decidedAt: intent.ts,
  };
}

function approvalOf(record: LedgerRecord) {
  const { data, ts } = readRecord(record, "approval.decision");
  return { approver: data.approver, decision: data.decision, via: data.via ?? null, at: ts };
}

function outcomeOf(record: LedgerRecord) {
  const { data, ts } = readRecord(record, "call.outcome");
  return { status: data.status, durationMs: data.durationMs, error: data.error?.code ?? null, at: ts };
}

/**
 * The chain as a person reads it, one link a line. Every text an agent, a user or an approver supplied
 * is escaped (safeText): a newline or an escape sequence in a rationale must not forge a line or
 * rewrite the terminal of whoever reads the chain.
 */
export function formatAccountability(chain: AccountabilityChain): string {
  const t = (v: string | null | undefined, none = "?") =>
    v === null || v === undefined ? none : safeText(v);
  const v = chain.userVerified;
  const vouched = v
    ? `verified by ${t(v.issuer)} as subject ${t(v.subject)}`
    : "asserted by the caller, not verified";
  const lines = [
    `call ${t(chain.callId)} at ${t(chain.decidedAt)}`,
    `  prompted by   ${t(chain.user)} (${vouched})`,
  ];
  for (const a of chain.agents) {
    const owner = [a.team && `team ${t(a.team)}`, a.developer && `developer ${t(a.developer)}`]
      .filter(Boolean)
      .join(", ");
    lines.push(`  agent         ${t(a.name)}${owner ? ` (${owner})` : ""}`);
    lines.push(`    session     ${t(a.session)}${a.intent ? ` — intent: ${t(a.intent)}` : ""}`);
  }
  lines.push(`  tool          ${t(chain.tool)}`);
  lines.push(`  arguments     ${t(JSON.stringify(chain.args))}`);
  if (chain.redacted.length > 0) lines.push(`  redacted      ${chain.redacted.map((p) => t(p)).join(", ")}`);
  lines.push(`  rationale     ${t(chain.rationale, "(none given)")}`);
  const d = chain.decision;
  const acted = d.enforced !== d.effect ? ` (acted: ${d.enforced}, ${chain.mode} mode)` : "";
  lines.push(`  decision      ${d.effect}${acted} by rule ${t(d.ruleId)}: ${t(d.reason)}`);
  lines.push(`  policy        ${t(chain.policyDigest)}`);
  for (const a of chain.approvals)
    lines.push(`  approval      ${t(a.decision)} by ${t(a.approver)} at ${t(a.at)}`);
  if (chain.approvals.length === 0) lines.push("  approver      (none)");
  const o = chain.outcome;
  lines.push(
    o
      ? `  outcome       ${t(o.status)}${o.error ? ` (${t(o.error)})` : ""}${o.durationMs !== null ? ` in ${o.durationMs} ms` : ""}`
      : "  outcome       (none recorded)",
  );
  return lines.join("\n");
}
