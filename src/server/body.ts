// Request bodies: JSON only, bounded in size and nesting, validated by a zod schema.
import type { Context } from "hono";
import type { z } from "zod";
import { WardenError } from "../errors.js";
import { jsonDepthExceeds } from "../json.js";

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_BODY_DEPTH = 64;

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new WardenError("INVALID_REQUEST", "content-type must be application/json");
  }
  const text = await c.req.text();
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) {
    throw new WardenError("PAYLOAD_TOO_LARGE", `body larger than ${MAX_BODY_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WardenError("INVALID_REQUEST", "body is not valid JSON");
  }
  if (jsonDepthExceeds(parsed, MAX_BODY_DEPTH)) {
    throw new WardenError("INVALID_REQUEST", `body nested deeper than ${MAX_BODY_DEPTH} levels`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
    throw new WardenError("INVALID_REQUEST", "body does not match the expected shape", { issues });
  }
  return result.data;
}
