// The approvals stage's public surface: the queue, what approvals are bound to, and their views.
export { ApprovalBook, type Grant } from "./book.js";
export { type ApprovedCall, approvalDigest, rememberKey } from "./digest.js";
export { type Integration, SeenIds, verifyIntegrationRequest } from "./inbound.js";
export { ActionLinks, type LinkAction } from "./links.js";
export { Approvals, type Approver, type AskedCall, checkApprover, type DecisionInput } from "./queue.js";
export { type ApprovalStage, openApprovals } from "./setup.js";
export type { ApprovalDecisionView, ApprovalStatus, ApprovalView, RememberScope } from "./state.js";
