// `session.end`: a session ended (by its agent, an idle timeout, a sandbox violation, an admin).
import { z } from "zod";

export const sessionEnd = z.object({
  reason: z.string(),
});

export type SessionEndData = z.infer<typeof sessionEnd>;
