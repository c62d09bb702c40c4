// `alert`: something an auditor should look at (a detector finding, a dead letter, a refused MCP tool, failing writes).
import { z } from "zod";
import type { RecordInput } from "../types.js";
import { jsonValue } from "./parts.js";

/**
 * Alerts of different sources carry different fields beside the common ones, so the object is open:
 * other fields are kept as written. `type` names the alert (`detect:<name>`, `export.dead_letter`,
 * `mcp.tool.refused`, `ledger.writes_failed`, …); the format's first alerts had none.
 */
export const alert = z.looseObject({
  type: z.string().optional(),
  severity: z.string().optional(),
  action: z.string().optional(),
  message: z.string().optional(),
  code: z.string().optional(),
  detector: z.string().optional(),
  callIds: z.array(z.string()).optional(),
  session: z.string().nullable().optional(),
  tool: z.string().optional(),
  score: z.number().optional(),
  details: jsonValue.optional(),
});

export type AlertData = z.infer<typeof alert>;

/** An alert about Warden itself (a sink behind, failing writes): it belongs to no session or call. */
export function serviceAlert(data: AlertData): RecordInput<"alert"> {
  return { kind: "alert", session: null, agent: null, callId: null, data };
}
