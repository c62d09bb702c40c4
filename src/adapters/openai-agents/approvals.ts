// The SDK's interruption flow, recorded in Warden: the person who approves or rejects an interrupted
// tool call is the approver of its Warden approval, so the ledger says who decided.
import type { RunToolApprovalItem } from "@openai/agents";
import { type ApprovalView, type Approver, type Warden, WardenError } from "../../index.js";
import { wardenCallId } from "../shared.js";

/** The part of a `RunState` that takes an approval answer (any agent, any context). */
export interface ApprovalState {
  approve(item: RunToolApprovalItem): void;
  reject(item: RunToolApprovalItem, options?: { message?: string }): void;
}

export interface InterruptionApprover {
  /** The person, as the ledger records them (e.g. their email). */
  name: string;
  /** Default "approver"; policy `by:` lists decide who may. */
  role?: "approver" | "admin";
}

/**
 * Approves the Warden approval behind an interruption, then `state.approve(item)`. Resume the run with
 * the same state afterwards. Refused (and the state left as it is) when the person may not approve it.
 *
 * @example
 * const result = await run(agent, "Refund order A-1");
 * for (const item of result.interruptions) await approveInterruption(warden, result.state, item, { name: "alice@example.com" });
 * await run(agent, result.state);
 */
export async function approveInterruption(
  warden: Warden,
  state: ApprovalState,
  item: RunToolApprovalItem,
  approver: InterruptionApprover,
  options: { remember?: "session" | number } = {},
): Promise<ApprovalView | null> {
  const view = approvalOf(warden, item);
  const decided = view
    ? await warden.approvals.queue.decide(view.id, {
        decision: "approve",
        approver: asApprover(approver),
        remember: options.remember ?? null,
        digest: view.digest,
      })
    : null;
  state.approve(item);
  return decided;
}

/** Denies the Warden approval behind an interruption with `reason`, which is also the model's rejection text. */
export async function rejectInterruption(
  warden: Warden,
  state: ApprovalState,
  item: RunToolApprovalItem,
  approver: InterruptionApprover,
  reason: string,
): Promise<ApprovalView | null> {
  const view = approvalOf(warden, item);
  const decided = view
    ? await warden.approvals.queue.decide(view.id, {
        decision: "deny",
        approver: asApprover(approver),
        reason,
      })
    : null;
  state.reject(item, { message: `A person refused this tool call: ${reason}` });
  return decided;
}

/** The pending Warden approval of the interrupted call; null when the tool's own policy interrupted it. */
function approvalOf(warden: Warden, item: RunToolApprovalItem): ApprovalView | null {
  const raw = item.rawItem as { callId?: unknown };
  if (typeof raw.callId !== "string") {
    throw new WardenError("INVALID_REQUEST", "this interruption carries no call id");
  }
  const id = wardenCallId(raw.callId);
  const view = id === undefined ? null : warden.approvals.queue.book.byCall(id);
  return view?.status === "pending" ? view : null;
}

function asApprover(a: InterruptionApprover): Approver {
  return { name: a.name, role: a.role ?? "approver", via: "openai-agents" };
}
