// Identity: who acts, for whom, and why. Other stages import from here only.

export { type AccountabilityChain, accountabilityOf, formatAccountability } from "./accountability.js";
export type { AgentProfile, IdentityPolicy, SessionLimits } from "./config.js";
export { formatChain, type Principal, type PrincipalChain, rootSession } from "./principal.js";
// The OpenID provider (provider/): its config, token verification, claims as roles, single sign-on.
export * from "./provider/index.js";
export type { SessionInfo, SessionRequest, VerifiedUser } from "./session-info.js";
export { SessionRegistry, type SessionRegistryDeps } from "./sessions.js";
