// The AI SDK's tool-approval flow, recorded in Warden: the person answering a `tool-approval-request`
// is the approver of its Warden approval, so the ledger says who decided.
import type { ApprovalView, Approver, Warden } from "../../index.js";
import { WardenError } from "../../index.js";
import { wardenCallId } from "../shared.js";

/** A `tool-approval-request` as generateText's content or a model message carries it. */
export interface ToolApprovalRequestPart {
  approvalId: string;
  toolCallId?: string;
  toolCall?: { toolCallId: string };
}

export interface ToolApprovalAnswer {
  approved: boolean;
  /** The person, as the ledger records them; role defaults to "approver" (policy `by:` decides who may). */
  approver: { name: string; role?: "approver" | "admin" };
  /** Required to deny: it is what the model reads. */
  reason?: string;
  remember?: "session" | number;
}

/**
 * Records the person's answer in Warden (when Warden asked for this call) and returns the
 * `tool-approval-response` to append to the messages of the next generateText/streamText call.
 * Refused, with nothing recorded, when the person may not decide this call.
 *
 * @example
 * const result = await generateText({ ...gated, messages });
 * const request = result.content.find((p) => p.type === "tool-approval-request");
 * const response = await wardenApprovalResponse(warden, request, { approved: true, approver: { name: "alice@example.com" } });
 * messages.push(...result.response.messages, { role: "tool", content: [response] });
 */
export async function wardenApprovalResponse(
  warden: Warden,
  request: ToolApprovalRequestPart,
  answer: ToolApprovalAnswer,
): Promise<{ type: "tool-approval-response"; approvalId: string; approved: boolean; reason?: string }> {
  const toolCallId = request.toolCallId ?? request.toolCall?.toolCallId;
  if (typeof toolCallId !== "string")
    throw new WardenError("INVALID_REQUEST", "the approval request names no tool call");
  const view = pendingApproval(warden, toolCallId);
  if (view) {
    const approver: Approver = {
      name: answer.approver.name,
      role: answer.approver.role ?? "approver",
      via: "ai-sdk",
    };
    await warden.approvals.queue.decide(view.id, {
      decision: answer.approved ? "approve" : "deny",
      approver,
      reason: answer.reason ?? null,
      remember: answer.approved ? (answer.remember ?? null) : null,
      digest: view.digest,
    });
  }
  return {
    type: "tool-approval-response",
    approvalId: request.approvalId,
    approved: answer.approved,
    ...(answer.reason ? { reason: answer.reason } : {}),
  };
}

function pendingApproval(warden: Warden, toolCallId: string): ApprovalView | null {
  const id = wardenCallId(toolCallId);
  const view = id === undefined ? null : warden.approvals.queue.book.byCall(id);
  return view?.status === "pending" ? view : null;
}
