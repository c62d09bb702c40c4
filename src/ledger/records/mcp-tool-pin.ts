// `mcp.tool.pin`: the digest of one upstream MCP tool, prompt, resource, template or instructions, pinned or approved.
import { z } from "zod";
import { jsonObject } from "./parts.js";

/**
 * Pins written before other items than tools were pinned hold `server`, `tool`, `digest` and `action`
 * only (then the item is a tool named `tool`, and the scheme 1); the other fields are optional for them.
 * Open: a pin may carry more about what was seen.
 */
export const mcpToolPin = z.looseObject({
  server: z.string(),
  item: z.enum(["tool", "prompt", "resource", "resource-template", "instructions"]).optional(),
  /** The tool's, prompt's name, or the resource's URI; "" for instructions. */
  name: z.string().optional(),
  /** The tool's name (items of kind tool only), kept for readers of the older pins. */
  tool: z.string().optional(),
  digest: z.string(),
  /** 1: name, description and input schema only; 2: every pinned field. */
  scheme: z.union([z.literal(1), z.literal(2)]).optional(),
  action: z.enum(["pin", "approve"]),
  /** The pinned fields (scheme 2), for showing what changed. */
  definition: jsonObject.nullable().optional(),
});

export type McpToolPinData = z.infer<typeof mcpToolPin>;
