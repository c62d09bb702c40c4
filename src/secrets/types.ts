// The secrets contract: what a secret spec names, what a provider hands out, and what a revocation needs.
import type { JsonObject } from "../json.js";
import type { SecretSpec } from "./config.js";

/** The Warden session a secret is leased for; `deadline` bounds every lease of the session. */
export interface SecretSession {
  id: string;
  agent: string;
  onBehalfOf: string;
  deadline: Date;
}

/**
 * What is needed to revoke a lease after a crash, never the value: e.g. `{type: "vault", leaseId,
 * accessor}` or `{type: "postgres-role", role}`. Recorded in the ledger.
 */
export type RevokeHandle = JsonObject;

/** A secret handed out for one session. */
export interface Lease {
  id: string;
  /** The value. Never logged, recorded or put in an error. */
  secret: string;
  /** A login name that goes with the secret (dynamic database credentials); not secret. */
  username?: string;
  provider: string;
  name: string;
  ttlMs: number;
  expiresAt: Date;
  renewable: boolean;
  revokeHandle: RevokeHandle;
}

/** What revoke() needs: a live Lease, or one rebuilt from its ledger record. */
export type RevokeTarget = Pick<Lease, "id" | "provider" | "name" | "revokeHandle">;

export interface RevokeOptions {
  /**
   * The session is over (or its process died): also end what the session shares between its leases,
   * such as the Vault child token.
   */
  final?: boolean;
}

/** A source of secrets. Revoking what is already gone succeeds. */
export interface SecretProvider {
  readonly name: string;
  /** A fresh lease of `spec` for `session`, living at most `ttlMs`. */
  lease(spec: SecretSpec, session: SecretSession, ttlMs: number): Promise<Lease>;
  renew?(lease: Lease, ttlMs: number): Promise<Lease>;
  revoke(lease: RevokeTarget, options?: RevokeOptions): Promise<void>;
  /** Ends what the provider keeps per session (a Vault child token, and with it its leases). */
  endSession?(sessionId: string): Promise<void>;
  /**
   * Removes this provider's credentials that expired by `now` whatever the ledger says: one made by a
   * process that died before its lease record was durable has no record to be revoked by. Returns how
   * many. Only for providers whose credentials can be listed (PostgreSQL roles by their prefix).
   */
  sweepExpired?(now: Date): Promise<number>;
  /** Releases connections; does not revoke anything. */
  close(): Promise<void>;
}
