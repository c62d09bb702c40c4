// `secret.revoke`: a lease revoked (or a revocation that failed). Never a value.
import { z } from "zod";

export const secretRevoke = z.object({
  leaseId: z.string(),
  provider: z.string(),
  name: z.string(),
  reason: z.enum(["session-end", "expired", "orphan", "unrecorded", "close"]),
  status: z.enum(["revoked", "failed"]),
  error: z.string().nullable(),
  revokedAt: z.string(),
  /** The broker instance that revoked it. */
  by: z.string(),
});

export type SecretRevokeData = z.infer<typeof secretRevoke>;
