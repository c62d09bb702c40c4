// `canary.create`: a canary minted or registered. Its value is bait, not a secret, and detection needs it.
import { z } from "zod";

export const canaryCreate = z.object({
  id: z.string(),
  kind: z.enum(["aws-key", "email", "url", "record", "custom"]),
  label: z.string().nullable(),
  value: z.string(),
  createdAt: z.string(),
});

export type CanaryCreateData = z.infer<typeof canaryCreate>;
