// `policy.load`: the policy in force (recorded before it takes effect), or a reload refused as invalid.
import { z } from "zod";

export const policyLoad = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("loaded"),
    /** Where it came from: its file, or how it was given. */
    source: z.string(),
    digest: z.string(),
    mode: z.enum(["enforce", "monitor"]),
  }),
  z.object({
    status: z.literal("refused"),
    source: z.string(),
    digest: z.null(),
    /** Digest of the policy that stays in force. */
    inForce: z.string(),
    /** `file:line:column: message` per problem. */
    issues: z.array(z.string()),
  }),
]);

export type PolicyLoadData = z.infer<typeof policyLoad>;
