// The `splunk-hec` sink's entry in `export.sinks`.
import * as z from "zod";
import { envName, httpUrl } from "../../../config/index.js";
import { bodyFormat, sinkFields } from "../config.js";

export const splunkHecSchema = z.strictObject({
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
});

export type SplunkHecDocument = z.output<typeof splunkHecSchema>;
