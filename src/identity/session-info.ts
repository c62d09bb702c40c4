// What Warden knows about one session: who acts, for whom, why, and under which parent.
import type { PrincipalChain } from "./principal.js";

export interface SessionInfo {
  id: string;
  agent: string;
  team: string | null;
  developer: string | null;
  onBehalfOf: string;
  intent: string;
  parent: string | null;
  principal: PrincipalChain;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

/** What a caller supplies to open a session. */
export interface SessionRequest {
  agent: string;
  onBehalfOf: string;
  intent: string;
  /** Id of the delegating session, for sub-agents. */
  parent?: string | null;
}
