// The approvals stage's public surface: the queue, what approvals are bound to, and their views.
export { ApprovalBook, type Grant } from "./book.js";
export {
  type ApprovalChannels,
  type ApprovalSettings,
  type ApprovalsDocument,
  approvalsSchema,
  compileApprovalChannels,
  type RuleApprovalDocument,
  resolveApproval,
  ruleApprovalSchema,
  type SlackChannelSettings,
} from "./config.js";
export { type ApprovedCall, approvalDigest, rememberKey } from "./digest.js";
export { ArgsSeal, type HeldApproval, HeldArgs, type HeldArgsRead } from "./held-args/index.js";
export { type Integration, SeenIds, verifyIntegrationRequest } from "./inbound.js";
export { ActionLinks, type LinkAction } from "./links.js";
export {
  Approvals,
  type Approver,
  type AskedCall,
  checkApprover,
  type DecisionInput,
  mayDecide,
} from "./queue.js";
export { type ApprovalStage, heldArgsOf, openApprovals } from "./setup.js";
export type { ApprovalDecisionView, ApprovalStatus, ApprovalView, RememberScope } from "./state.js";
