// The `splunk-hec` sink's entry in `export.sinks`.
import * as z from "zod";
import { envName, httpUrl } from "../../../config/index.js";
import { bodyFormat, DEFAULT_SEND_TIMEOUT_MS, duration, sinkFields } from "../config.js";

export const splunkHecSchema = z
  .strictObject({
    ...sinkFields,
    type: z.literal("splunk-hec"),
    url: httpUrl("url"),
    tokenEnv: envName.optional(),
    format: bodyFormat.optional(),
    index: z.string().min(1).optional(),
    source: z.string().min(1).optional(),
    sourcetype: z.string().min(1).optional(),
    host: z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
    /** How long a batch waits for indexer acknowledgement (tokens with it on) before it is sent again. */
    ackTimeout: duration.optional(),
    /** Batches sent before the earlier ones are acknowledged (default 4; 1 keeps strict chain order). */
    batchesInFlight: z.int().min(1).max(32).optional(),
  })
  .refine((s) => s.ackTimeout === undefined || s.ackTimeout < (s.sendTimeout ?? DEFAULT_SEND_TIMEOUT_MS), {
    message:
      "ackTimeout must be shorter than the sink's sendTimeout (default 30s), which bounds the whole send",
    path: ["ackTimeout"],
  });

export type SplunkHecDocument = z.output<typeof splunkHecSchema>;
