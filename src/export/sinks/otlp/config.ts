// The `otlp` sink's entry in `export.sinks`.
import * as z from "zod";
import { envName, httpUrl } from "../../../config/index.js";
import { sinkFields } from "../config.js";

export const otlpSchema = z.strictObject({
  ...sinkFields,
  type: z.literal("otlp"),
  url: httpUrl("url"),
  serviceName: z.string().min(1).optional(),
  /** Header name → env variable holding its value (e.g. an API key); values never sit in the policy. */
  headersEnv: z.record(z.string(), envName).optional(),
});

export type OtlpDocument = z.output<typeof otlpSchema>;
