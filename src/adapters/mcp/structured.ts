// A tool with an outputSchema whose structuredContent the secrets screen masked: the client must still
// get a result it accepts. MCP clients validate structuredContent against the schema (the SDK's Client
// throws on a mismatch, and the model then sees nothing), and `[credential:aws-access-key]` in place of
// a key id fails a `pattern`, a `maxLength` or a `format`, and a masked number is no number any more.
import type { Result } from "@modelcontextprotocol/sdk/types.js";

/** The result's structuredContent as JSON text, or undefined when it has none. */
export function structuredOf(result: Result): string | undefined {
  return result.structuredContent === undefined ? undefined : JSON.stringify(result.structuredContent);
}

/**
 * `result` (as screened) unless the screen changed the structuredContent of a tool with an outputSchema
 * (`sent`: it as the upstream sent it). Then the masked content is given as text only, in a result
 * marked `isError` (the one kind MCP lets go without structuredContent) that says why, with
 * `_meta["warden/masked"]`; the tool ran, and its outcome record says so. The schema, the upstream's,
 * is not evaluated here: its patterns would run in the gateway on text the upstream chose.
 */
export function schemaKeptAfterMasking(
  tool: Readonly<Record<string, unknown>>,
  result: Result,
  sent: string | undefined,
): Result {
  if (typeof tool.outputSchema !== "object" || tool.outputSchema === null) return result;
  if (result.isError === true || result.structuredContent === undefined) return result;
  if (structuredOf(result) === sent) return result;
  const { structuredContent: _, ...rest } = result;
  const content = Array.isArray(result.content) ? result.content : [];
  const note = {
    type: "text",
    text: "Warden masked secrets in this tool's structured result, which may no longer match its output schema; the result is given as text only.",
  };
  const meta = typeof result._meta === "object" && result._meta !== null ? result._meta : {};
  return { ...rest, content: [note, ...content], isError: true, _meta: { ...meta, "warden/masked": true } };
}
