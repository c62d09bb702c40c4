// The parts of Slack's block_actions payload Warden reads, checked at the boundary (Slack sends many more).
import { z } from "zod";

const id = z.string().min(1).max(64);
const stateValue = z.looseObject({
  type: z.string().max(64),
  value: z.string().max(4_000).nullish(),
  selected_option: z.looseObject({ value: z.string().max(150) }).nullish(),
});

/** A click on a Block Kit element of a message (Slack's "block_actions" interaction payload). */
export const BlockActions = z.looseObject({
  type: z.literal("block_actions"),
  user: z.looseObject({ id, username: z.string().max(256).optional(), name: z.string().max(256).optional() }),
  actions: z
    .array(
      z.looseObject({
        action_id: z.string().max(255),
        block_id: z.string().max(255).optional(),
        type: z.string().max(64),
        value: z.string().max(2_000).optional(),
      }),
    )
    .min(1)
    .max(25),
  /** The message's input values at the moment of the click, by block_id then action_id. */
  state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), stateValue)) }).optional(),
  response_url: z.string().max(2_048).optional(),
  container: z
    .looseObject({ type: z.string(), channel_id: id.optional(), message_ts: z.string().max(64).optional() })
    .optional(),
  channel: z.looseObject({ id }).optional(),
  message: z.looseObject({ ts: z.string().max(64) }).optional(),
});
export type BlockActionsPayload = z.infer<typeof BlockActions>;

/** The approve and deny buttons' value. */
export const ButtonValue = z.strictObject({
  id: z.string().min(1).max(128),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
