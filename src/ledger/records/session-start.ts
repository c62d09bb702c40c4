// `session.start`: an agent session begins, acting for one person; the stores derive their sessions table from it.
import { z } from "zod";
import { principalChain } from "./parts.js";

export const sessionStart = z.object({
  onBehalfOf: z.string(),
  intent: z.string(),
  /** The parent session of a sub-agent; null for a session a person started. */
  parent: z.string().nullable(),
  /** The user, then each agent down to this one. Absent on the format's first records. */
  principal: principalChain.optional(),
});

export type SessionStartData = z.infer<typeof sessionStart>;
