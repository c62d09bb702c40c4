// The `nats` sink's entry in `export.sinks`.
import * as z from "zod";
import { envName } from "../../../config/index.js";
import { bodyFormat, sinkFields } from "../config.js";

export const natsSchema = z.strictObject({
  ...sinkFields,
  type: z.literal("nats"),
  servers: z.array(z.string().min(1)).min(1),
  subjectPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "dot-separated subject tokens")
    .optional(),
  stream: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "a JetStream stream name")
    .optional(),
  format: bodyFormat.optional(),
  tokenEnv: envName.optional(),
});

export type NatsDocument = z.output<typeof natsSchema>;
