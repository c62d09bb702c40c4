// What every framework adapter shares: call-id mapping, the gated call itself, and the denial the model reads.
import { createHash } from "node:crypto";
import { CALLER_ID_PATTERN } from "../ids.js";
import { type GateDecision, type RefusalInfo, type Session, WardenError } from "../index.js";

/** The gate refuses longer rationales; the model's text is cut to fit rather than losing the call. */
const MAX_RATIONALE = 16 * 1024;

/**
 * The Warden call id for a framework's tool-call id: the id itself when Warden accepts it, else
 * `h:` + the first 32 hex digits of its SHA-256 — deterministic, so the same framework id always maps
 * to the same Warden id (and a replay still hits CALL_ID_CONFLICT). The original is kept in the rationale.
 *
 * @example
 * wardenCallId("call_abc123"); // "call_abc123"
 * wardenCallId("toolu 01/xyz"); // "h:…" (32 hex digits)
 */
export function wardenCallId(frameworkId: string | undefined): string | undefined {
  if (frameworkId === undefined || frameworkId === "") return undefined;
  if (CALLER_ID_PATTERN.test(frameworkId)) return frameworkId;
  return `h:${createHash("sha256").update(frameworkId, "utf8").digest("hex").slice(0, 32)}`;
}

/** The rationale to record: the model's text, plus the framework's call id when it had to be mapped. */
export function rationaleOf(text: string | undefined, frameworkId: string | undefined): string | undefined {
  const mapped = frameworkId !== undefined && wardenCallId(frameworkId) !== frameworkId;
  const note = mapped ? `[framework call id: ${cut(JSON.stringify(frameworkId), 1024)}]` : undefined;
  const parts = [text?.trim() || undefined, note].filter((p): p is string => p !== undefined);
  if (parts.length === 0) return undefined;
  const joined = parts.join("\n");
  return joined.length <= MAX_RATIONALE ? joined : `${cut(joined, MAX_RATIONALE - 1)}…`;
}

/** The first `n` UTF-16 units, never ending inside a surrogate pair (the gate refuses lone surrogates). */
function cut(text: string, n: number): string {
  const head = text.slice(0, n);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

/**
 * A call Warden refused before the tool body ran, as the model should read it. `code` is the refusing
 * error's code (TOOL_DENIED, APPROVAL_DENIED, RATE_LIMITED, LEDGER_UNAVAILABLE, …); `cause` is that error.
 *
 * @example
 * try {
 *   await gatedTools.send_email.execute?.(args, { toolCallId: "call_1", messages: [] });
 * } catch (err) {
 *   if (err instanceof ToolRefusedError && err.code === "TOOL_DENIED") console.log(err.refusal?.reason);
 * }
 */
export class ToolRefusedError extends WardenError {
  readonly refusal: RefusalInfo | undefined;
  constructor(cause: WardenError) {
    const refusal = (cause as { refusal?: RefusalInfo }).refusal;
    super(cause.code, denialText(cause), { ...cause.details });
    this.refusal = refusal;
    this.cause = cause;
  }
}

/**
 * Readable text for the model: what was refused, why, and what it can do instead.
 *
 * @example
 * denialText(new ToolDeniedError({ callId: "c1", tool: "send_email", ruleId: "no-mail", reason: "no mail" }));
 * // 'Warden refused this tool call (TOOL_DENIED): tool "send_email" denied: no mail. The tool did not run. …'
 */
export function denialText(err: WardenError): string {
  const hint: Partial<Record<string, string>> = {
    TOOL_DENIED: "Do not retry this call; use another tool or tell the user it is not permitted.",
    APPROVAL_DENIED: "A person reviewed this call and refused it; do not retry it, tell the user why.",
    APPROVAL_EXPIRED: "Nobody approved it in time; tell the user it is waiting for a human decision.",
    APPROVAL_MISMATCH: "The call changed after it was approved; ask again with the arguments you mean.",
    RATE_LIMITED: `Wait ${Math.ceil(Number(err.details?.retryAfterMs ?? 0) / 1000)} s before trying again.`,
    APPROVALS_PENDING_LIMIT:
      "Calls of this session already wait for people; do not ask again until they are decided.",
    LEDGER_UNAVAILABLE: "Warden could not record the call; try again later.",
  };
  const what = err.message.replace(/[.\s]+$/, "");
  const ran = AFTER_RUN[err.code] ?? "The tool did not run.";
  return `Warden refused this tool call (${err.code}): ${what}. ${ran} ${hint[err.code] ?? ""}`.trim();
}

/** Refusals that can come after the tool started: the model must not read "the tool did not run". */
const AFTER_RUN: Partial<Record<string, string>> = {
  RESULT_WITHHELD: "The tool ran, but its result is not shown.",
  SESSION_ENDED: "The session ended; its calls were stopped and no further calls will run.",
};

export type GatedResult<R> = { ok: true; value: R } | { ok: false; refusal: ToolRefusedError };

/** One framework tool call as an adapter hands it to Warden. */
export interface AdapterCall {
  tool: string;
  args: unknown;
  /** The model's tool-call id, as the framework gave it. */
  frameworkCallId?: string | undefined;
  /** The model's text that came with the call. */
  text?: string | undefined;
}

/**
 * Runs `body` through the session's gate. A Warden error raised by the pipeline (a refusal before the
 * body ran, a result withheld, the session ended meanwhile) is a refusal, returned for the adapter to
 * hand to the model its framework's way; errors from the body itself (including a nested guarded call
 * it made) are rethrown, screened. The body never runs unless the gate allowed it.
 */
export function gatedCall<R>(
  session: Session,
  call: AdapterCall,
  body: () => R | Promise<R>,
): Promise<GatedResult<Awaited<R>>> {
  return throughGate(body, (run) =>
    session.run(call.tool, call.args, run, {
      callId: wardenCallId(call.frameworkCallId),
      rationale: rationaleOf(call.text, call.frameworkCallId),
    }),
  );
}

/**
 * Decisions a framework's approval hook took, each waiting for the execution of the same call. The
 * framework hands the arguments again when it executes (after a person answered, possibly from message
 * history the client sent back): `heldCall` runs them through `runChecked`, which refuses any but the
 * decided ones (APPROVAL_MISMATCH, before anyone waits on an approval).
 */
export class DecidedCalls {
  readonly #calls = new Map<string, GateDecision>();

  get(frameworkCallId: string): GateDecision | undefined {
    return this.#calls.get(frameworkCallId);
  }

  set(frameworkCallId: string, decision: GateDecision): void {
    this.#calls.set(frameworkCallId, decision);
  }

  /** The decision taken for this call, removed; undefined when no hook decided it. */
  take(frameworkCallId: string | undefined): GateDecision | undefined {
    if (frameworkCallId === undefined) return undefined;
    const decision = this.#calls.get(frameworkCallId);
    this.#calls.delete(frameworkCallId);
    return decision;
  }
}

/**
 * Runs `body` for a call the gate already decided (in a framework's approval hook), through the same
 * pipeline: a pending approval is waited for (it may already be decided) and bound to `args`; the
 * result is screened and its outcome recorded once. Refusals as in `gatedCall`.
 */
export function heldCall<R>(
  session: Session,
  decided: GateDecision,
  args: unknown,
  body: () => R | Promise<R>,
): Promise<GatedResult<Awaited<R>>> {
  return throughGate(body, (run) => session.runChecked(decided, args, run));
}

async function throughGate<R>(
  body: () => R | Promise<R>,
  gate: (run: () => Promise<Awaited<R>>) => Promise<Awaited<R>>,
): Promise<GatedResult<Awaited<R>>> {
  // The body's own failure is told apart from the pipeline's by identity (screening masks in place).
  let bodyFailure: unknown = NONE;
  const run = async (): Promise<Awaited<R>> => {
    try {
      return await body();
    } catch (err) {
      bodyFailure = err;
      throw err;
    }
  };
  try {
    return { ok: true, value: await gate(run) };
  } catch (err) {
    // OUTCOME_UNRECORDED: the tool ran; that is an operational failure to surface, not a refusal.
    if (err !== bodyFailure && err instanceof WardenError && err.code !== "OUTCOME_UNRECORDED") {
      return { ok: false, refusal: new ToolRefusedError(err) };
    }
    throw err;
  }
}

const NONE = Symbol("none");

/** Arguments a framework passes as a JSON string, parsed for the ledger; unparsable text is kept as text. */
export function parseArgs(raw: string): unknown {
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
