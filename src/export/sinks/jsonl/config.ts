// The `jsonl` sink's entry in `export.sinks`.
import * as z from "zod";
import { bodyFormat, duration, sinkFields } from "../config.js";

export const jsonlSchema = z.strictObject({
  ...sinkFields,
  type: z.literal("jsonl"),
  path: z.string().min(1),
  format: bodyFormat.optional(),
  /** Rotate when the file would grow past this many bytes … */
  maxBytes: z.int().min(1024).optional(),
  /** … or once it is this old. */
  maxAge: duration.optional(),
});

export type JsonlDocument = z.output<typeof jsonlSchema>;
