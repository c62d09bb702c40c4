// The `webhook` sink's entry in `export.sinks`.
import * as z from "zod";
import { envName, httpUrl } from "../../../config/index.js";
import { bodyFormat, sinkFields } from "../config.js";

export const webhookSchema = z.strictObject({
  ...sinkFields,
  type: z.literal("webhook"),
  url: httpUrl("url"),
  secretEnv: envName.optional(),
  format: bodyFormat.optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

export type WebhookDocument = z.output<typeof webhookSchema>;
