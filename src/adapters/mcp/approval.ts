// The check before a prompt or resource is served: its current definition, reviewed against the pins
// in the ledger, must be approved. Listing it first, in this process or any other, is not required.
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { JsonObject } from "../../json.js";
import { RPC } from "./errors.js";
import { listAll, PROMPTS } from "./listing.js";
import { describeSubject, type PinSubject } from "./pins.js";
import type { ReviewContext, ReviewState, ToolReviewer } from "./review.js";
import type { Upstream } from "./upstream.js";

export interface ApprovalContext {
  reviewer: ToolReviewer;
  context: ReviewContext;
  timeoutMs: number;
}

/** Refuses unless every definition listed under `subject` is approved now (pinned on first sight, like a listing). */
export async function refuseUnapproved(
  ctx: ApprovalContext,
  subject: PinSubject,
  definitions: readonly JsonObject[],
): Promise<void> {
  for (const definition of definitions) {
    const review = await ctx.reviewer.reviewItem(subject, definition, ctx.context);
    if (review.state !== "ok") throw refusal(subject, review.state);
  }
}

/** A prompt is served only when its upstream lists it now, approved. */
export async function checkPrompt(
  ctx: ApprovalContext,
  upstream: Upstream,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  // An approval may have been written by another process since this one read its pins.
  await ctx.reviewer.refresh();
  const listed = await listAll(upstream, PROMPTS, { signal, timeout: ctx.timeoutMs });
  const subject = { server: upstream.name, item: "prompt" as const, name };
  const definitions = listed.get(name);
  if (definitions === undefined)
    throw new McpError(
      RPC.invalidParams,
      `Warden refused ${describeSubject(subject)}: the server does not list it, so it was never reviewed`,
      { code: "MCP_TOOL_UNKNOWN" },
    );
  await refuseUnapproved(ctx, subject, definitions);
}

export function refusal(subject: PinSubject, state: Exclude<ReviewState, "ok">): McpError {
  const why = state === "changed" ? "it changed since it was pinned" : "it looks like prompt injection";
  return new McpError(
    RPC.invalidParams,
    `Warden refused ${describeSubject(subject)}: ${why}; an administrator must approve it (warden mcp approve)`,
    { code: state === "changed" ? "MCP_TOOL_BLOCKED" : "MCP_TOOL_POISONED" },
  );
}
