// `secret.lease`: a secret handed to one call. Never the value; the handle says how to revoke it after a crash.
import { z } from "zod";
import { jsonObject } from "./parts.js";

export const brokerInstance = z.object({ id: z.string(), host: z.string(), pid: z.number() });

export const secretLease = z.object({
  leaseId: z.string(),
  provider: z.string(),
  name: z.string(),
  tool: z.string(),
  onBehalfOf: z.string(),
  /** The database role of a dynamic credential. */
  username: z.string().optional(),
  ttlMs: z.number(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  renewable: z.boolean(),
  revokeHandle: jsonObject,
  /** The process that handed it out, so another can tell whether it died. */
  instance: brokerInstance,
});

export type SecretLeaseData = z.infer<typeof secretLease>;
