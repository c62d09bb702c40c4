// Held arguments: what approvers read of a pending approval's redacted values, sealed and short-lived.
export { type HeldApproval, HeldArgs, type HeldArgsRead } from "./held-args.js";
export { ArgsSeal } from "./seal.js";
