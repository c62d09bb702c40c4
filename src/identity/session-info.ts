// What Warden knows about one session: who acts, for whom, why, and under which parent.
import type { PrincipalChain } from "./principal.js";

export interface SessionInfo {
  id: string;
  agent: string;
  team: string | null;
  developer: string | null;
  onBehalfOf: string;
  /**
   * Set when the user came from a verified token, null when asserted; absent while not yet known (a
   * session read back from the store: its `session.start` record says, read when a sub-agent needs it).
   */
  verifiedUser?: VerifiedUser | null;
  intent: string;
  parent: string | null;
  principal: PrincipalChain;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

/**
 * The user a verified token named (an RFC 8693 delegation, or a person's own token at an agent's client):
 * set only by Warden code that verified the token, never from a request's string.
 */
export interface VerifiedUser {
  name: string;
  issuer: string;
  subject: string;
}

/** What a caller supplies to open a session. */
export interface SessionRequest {
  agent: string;
  /** Required unless `verifiedUser` names the user (then, if given, it must be the same). */
  onBehalfOf?: string;
  /** The user from a verified token; `identity.onBehalfOf: verified` opens no session without one. */
  verifiedUser?: VerifiedUser | null;
  intent: string;
  /** Id of the delegating session, for sub-agents. */
  parent?: string | null;
}

/**
 * Who vouched for a session's user, as its `session.start` record says (`onBehalfOfVerified`, written
 * only for a user a verified token named); null for an asserted user.
 */
export function vouchedBy(start: { data: unknown }): { issuer: string; subject: string } | null {
  const vouched = (start.data as { onBehalfOfVerified?: { issuer?: unknown; subject?: unknown } })
    .onBehalfOfVerified;
  return typeof vouched?.issuer === "string" && typeof vouched.subject === "string"
    ? { issuer: vouched.issuer, subject: vouched.subject }
    : null;
}
