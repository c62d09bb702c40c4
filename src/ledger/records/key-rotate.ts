// `key.rotate`: the ledger's signing key was replaced; the verifier accepts the old key only for what existed before it.
import { z } from "zod";

export const keyRotate = z.object({
  /** Key id of the retired key; null when there was none to read. */
  from: z.string().nullable(),
  to: z.string(),
  /** The new public key, SPKI DER base64. */
  publicKey: z.string(),
  reason: z.string(),
  oldKey: z.enum(["retired", "lost"]),
  /**
   * Every chain's signed head when the rotation was made, by seq and hash: what the old key signed up to
   * there cannot be rewritten and signed again (absent from records written before this was added).
   */
  heads: z.record(z.string(), z.object({ seq: z.number().int().nonnegative(), hash: z.string() })).optional(),
});

export type KeyRotateData = z.infer<typeof keyRotate>;
