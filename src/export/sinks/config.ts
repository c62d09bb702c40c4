// What every sink's config (sinks/<type>/config.ts) is written in: the fields all sinks share, the body format, retries.
import * as z from "zod";
import { durationField } from "../../config/index.js";

export const duration = durationField("500ms, 10s, 1m");

/** Delivery retries: the `export:` defaults, and a sink's own override. */
export const retry = z.strictObject({
  attempts: z.int().min(1).max(1000).optional(),
  minDelay: duration.optional(),
  maxDelay: duration.optional(),
});

/** How an event's body is written: Warden's own JSON or OCSF. */
export const bodyFormat = z.enum(["json", "ocsf"]);

/** How long one batch's send may take when the sink does not say (`sendTimeout`). */
export const DEFAULT_SEND_TIMEOUT_MS = 30_000;

/** The fields every sink has; a sink's schema spreads them first, then its `type` literal and its own fields. */
export const sinkFields = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "a sink name uses only letters, digits and _ . -"),
  batchSize: z.int().min(1).max(10_000).optional(),
  retry: retry.optional(),
  sendTimeout: duration.optional(),
};
