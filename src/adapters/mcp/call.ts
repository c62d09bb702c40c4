// `tools/call` through Warden: review state → policy → durable intent record → upstream call → outcome record.
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type CallToolResult,
  McpError,
  type Result,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { Gate, GateDecision } from "../../core/index.js";
import { WardenError } from "../../errors.js";
import { CALLER_ID_PATTERN, newId } from "../../ids.js";
import type { Ledger } from "../../ledger/index.js";
import type { Session } from "../../session.js";
import type { ToolCatalog } from "./catalog.js";
import { RPC } from "./errors.js";
import { META } from "./identity.js";
import type { OutcomeQueue } from "./outcomes.js";
import { type ProgressRelay, progressRelay } from "./progress.js";
import { schemaKeptAfterMasking, structuredOf } from "./structured.js";

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface CallContext {
  session: Session;
  catalog: ToolCatalog;
  outcomes: OutcomeQueue;
  ledger: Ledger;
  /** The core pipeline: everything after the decision runs through `gate.proceed`. */
  gate: Gate;
  timeoutMs: number;
  /** mcp.maxResultBytes, read per call (the policy may reload). */
  maxResultBytes: () => number;
  /** Marks a downstream request as running on an upstream, so that upstream's own requests can be tied to it. */
  track: (upstream: string, requestId: Extra["requestId"]) => () => void;
}

/** Answers a `tools/call` request. A refusal is a tool result with isError, so the model can read it and recover. */
export async function callTool(
  ctx: CallContext,
  params: Record<string, unknown> | undefined,
  extra: Extra,
): Promise<Result> {
  const name = params?.name;
  const args = params?.arguments ?? {};
  if (typeof name !== "string") throw new McpError(RPC.invalidParams, "tools/call needs a tool name");
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new McpError(RPC.invalidParams, "tools/call arguments must be an object");
  }
  let entry = ctx.catalog.get(name);
  if (entry === undefined) throw new McpError(RPC.invalidParams, `Unknown tool: ${name}`);
  const meta = (params?._meta ?? {}) as Record<string, unknown>;
  if (entry.review.state !== "ok") entry = await ctx.catalog.recheck(entry);
  if (entry.review.state !== "ok") return blocked(ctx, name, entry.review.state, meta);

  let decision: GateDecision;
  try {
    decision = await ctx.session.check(name, args, {
      callId: callIdOf(meta),
      rationale: rationaleOf(meta),
      traceparent: typeof meta.traceparent === "string" ? meta.traceparent : undefined,
    });
  } catch (err) {
    if (err instanceof WardenError) return refusal(err.code, err.message, null);
    throw err;
  }
  if (decision.enforced === "deny") {
    const code = decision.code ?? "TOOL_DENIED";
    const why =
      code === "RATE_LIMITED"
        ? `${decision.reason}; retry after ${Math.ceil((decision.retryAfterMs ?? 0) / 1000)} s`
        : decision.reason;
    return refusal(
      code,
      `Warden refused tool "${name}" (${code}, rule ${decision.ruleId}): ${why}`,
      decision,
    );
  }
  const progress = progressRelay(meta, extra);
  const forwarded: Record<string, unknown> = { ...params, name: entry.tool.name };
  const upstreamMeta = stripWardenMeta(meta);
  if (upstreamMeta === undefined) delete forwarded._meta;
  else forwarded._meta = upstreamMeta;
  const upstream = entry.upstream;
  const tool = entry.tool;
  /** The structuredContent as the upstream sent it, before the secrets screen. */
  let sent: string | undefined;
  try {
    // The core pipeline runs everything after the decision: the approval held (with progress notices),
    // the upstream call, the screening of its result, the outcome record, the stop at session end.
    const result = await ctx.gate.proceed<Result>(decision, {
      tool: name,
      args,
      signal: extra.signal,
      onWaiting: (held) => waitingNotices(progress, held),
      body: async ({ signal }) => {
        const untrack = ctx.track(upstream.name, extra.requestId);
        try {
          const result = await upstream.request("tools/call", forwarded, {
            signal,
            timeout: ctx.timeoutMs,
            resetTimeoutOnProgress: true,
            ...progress.options,
          });
          await progress.sent();
          refuseOversized(result, ctx.maxResultBytes());
          sent = structuredOf(result);
          return withoutWardenMeta(result);
        } finally {
          untrack();
        }
      },
      outcomeOf: (result) =>
        result.isError === true
          ? { status: "error", error: { code: "TOOL_ERROR" } }
          : { status: "ok", result },
      failureOf: (err) =>
        err instanceof WardenError ? err : { code: failureCode(err, extra.signal.aborted, !upstream.alive) },
      // Outcomes waiting in the queue join the next call's intent record in one commit.
      deferOutcome: (write) => ctx.outcomes.add(write),
    });
    return schemaKeptAfterMasking(tool, result, sent);
  } catch (err) {
    // A refusal after the decision (approval denied, expired or changed; a result withheld; the session
    // ended) is a tool result the model reads. An upstream failure stays the JSON-RPC error it was.
    if (err instanceof WardenError && err.code !== "OUTCOME_UNRECORDED") {
      return refusal(err.code, `Warden refused tool "${name}" (${err.code}): ${err.message}`, decision);
    }
    throw err;
  }
}

/** A result over the cap is not relayed: the client and the outcome record get RESULT_TOO_LARGE. */
function refuseOversized(result: Result, limit: number): void {
  const size = Buffer.byteLength(JSON.stringify(result), "utf8");
  if (size > limit) {
    throw new WardenError(
      "RESULT_TOO_LARGE",
      `the upstream result is ${size} bytes, more than mcp.maxResultBytes (${limit})`,
      { size, limit },
    );
  }
}

const WAITING_NOTICE_MS = 10_000;

/** A client that asked for progress hears why its call waits, now and every WAITING_NOTICE_MS. */
function waitingNotices(progress: ProgressRelay, decision: GateDecision): () => void {
  const notice = `waiting for a human approval (${decision.approval?.id}, until ${decision.approval?.expiresAt}): ${decision.reason}`;
  progress.waiting(notice);
  const timer = progress.wanted ? setInterval(() => progress.waiting(notice), WAITING_NOTICE_MS) : null;
  return () => {
    if (timer) clearInterval(timer);
  };
}

function refusal(code: string, text: string, decision: GateDecision | null): CallToolResult {
  const meta: Record<string, unknown> = { [META.code]: code };
  if (decision) {
    meta["warden/callId"] = decision.callId;
    meta["warden/ruleId"] = decision.ruleId;
    if (decision.retryAfterMs !== null) meta["warden/retryAfterMs"] = decision.retryAfterMs;
  }
  return { content: [{ type: "text", text }], isError: true, _meta: meta };
}

async function blocked(
  ctx: CallContext,
  name: string,
  state: "changed" | "poisoned",
  meta: Record<string, unknown>,
): Promise<CallToolResult> {
  const code = state === "changed" ? "MCP_TOOL_BLOCKED" : "MCP_TOOL_POISONED";
  const why =
    state === "changed"
      ? "its definition changed since it was pinned; an administrator must re-approve it (warden mcp approve)"
      : "its description looks like prompt injection; an administrator must approve it (warden mcp approve)";
  // The attempt is recorded even though nothing ran: a blocked tool being called is worth an auditor's look.
  // Always under a new id: the model's was not claimed (as the gate claims it), so it may name another call.
  const callId = newId("call");
  const requested = callIdOf(meta);
  await ctx.ledger.append({
    kind: "alert",
    session: ctx.session.id,
    agent: ctx.session.agent,
    callId,
    data: {
      type: "mcp.tool.refused",
      tool: name,
      code,
      ...(requested === undefined ? {} : { requestedCallId: requested }),
      severity: state === "changed" ? "high" : "medium",
      action: "refused",
      message: `a call of ${state} tool ${name} was refused (${code})`,
    },
  });
  const refused = refusal(code, `Warden refused tool "${name}" (${code}): ${why}`, null);
  return { ...refused, _meta: { ...refused._meta, [META.callId]: callId } };
}

function callIdOf(meta: Record<string, unknown>): string | undefined {
  const id = meta[META.callId];
  return typeof id === "string" && CALLER_ID_PATTERN.test(id) ? id : undefined;
}

function rationaleOf(meta: Record<string, unknown>): string | undefined {
  const r = meta[META.rationale];
  return typeof r === "string" ? r.slice(0, 16 * 1024) : undefined;
}

/**
 * An upstream's result without `warden/` keys in its `_meta`: those say what Warden did (a refusal's
 * `warden/code` means nothing ran), so only the gateway sets them; the upstream's own keys pass.
 */
function withoutWardenMeta(result: Result): Result {
  const meta = result._meta;
  if (typeof meta !== "object" || meta === null) return result;
  const keys = Object.keys(meta);
  if (!keys.some((k) => k.startsWith("warden/"))) return result;
  const { _meta: _, ...rest } = result;
  const own = keys.filter((k) => !k.startsWith("warden/"));
  if (own.length === 0) return rest;
  return { ...rest, _meta: Object.fromEntries(own.map((k) => [k, (meta as Record<string, unknown>)[k]])) };
}

/** Warden's own `_meta` keys stay at the gateway; everything else (progress tokens, tracing) goes upstream. */
function stripWardenMeta(meta: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [k, v] of Object.entries(meta)) {
    if (k.startsWith("warden/") || k === "progressToken") continue;
    out[k] = v;
    any = true;
  }
  return any ? out : undefined;
}

function failureCode(err: unknown, cancelled: boolean, upstreamGone: boolean): string {
  // An upstream that died also ends the session, which aborts the handler: the upstream's death says more.
  // Only a connection found closed here counts: an upstream may answer with -32000 itself.
  if (upstreamGone && err instanceof McpError && err.code === RPC.connectionClosed) return "UPSTREAM_CLOSED";
  // The SDK rejects a cancelled request with a RequestTimeout error carrying the reason.
  if (cancelled) return "CANCELLED";
  if (err instanceof McpError) {
    return err.code === RPC.requestTimeout ? "UPSTREAM_TIMEOUT" : `UPSTREAM_RPC_${Math.abs(err.code)}`;
  }
  return "UPSTREAM_ERROR";
}
