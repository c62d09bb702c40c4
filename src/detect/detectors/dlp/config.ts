// The `detect.dlp` entry: what DLP looks for in outgoing arguments and what a finding does.
import * as z from "zod";
import { type DetectAction, detectAction, detectorConfig } from "../config.js";

const PII = ["email", "phone", "card", "iban"] as const;

export interface DlpSettings {
  action: DetectAction;
  secrets: boolean;
  pii: readonly (typeof PII)[number][];
  /** Personal data and large payloads; credentials take `action`. */
  piiAction: DetectAction;
  maxExternalBytes: number;
  /** Bytes of arguments a session tree may offer tools labelled external in all; null: no limit. */
  maxExternalBytesPerSession: number | null;
}

export const dlpConfig = detectorConfig({
  name: "dlp",
  schema: z.strictObject({
    action: detectAction.default("deny"),
    secrets: z.boolean().default(true),
    pii: z.array(z.enum(PII)).default(["card", "iban"]),
    piiAction: detectAction.optional(),
    /** Arguments larger than this (bytes of JSON) to a tool labelled `sends: external` raise a finding. */
    maxExternalBytes: z
      .int()
      .positive()
      .default(64 * 1024),
    /**
     * Bytes of arguments a session and its sub-agents may send to tools labelled `sends: external` in
     * all: data leaving in many calls each under `maxExternalBytes`. No limit when absent.
     */
    maxExternalBytesPerSession: z.int().positive().optional(),
  }),
  compile: (doc): DlpSettings | null =>
    doc
      ? {
          ...doc,
          piiAction: doc.piiAction ?? doc.action,
          maxExternalBytesPerSession: doc.maxExternalBytesPerSession ?? null,
        }
      : null,
});
