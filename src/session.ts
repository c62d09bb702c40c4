// A session as library users hold it: guard tools, check calls, record outcomes, end it.
import type {
  CommandResult,
  Gate,
  GateDecision,
  Outcome,
  ReportedOutcome,
  ToolContext,
} from "./core/index.js";
import type { SessionInfo, SessionRegistry } from "./identity/index.js";

/** Per-call context a caller can attach: the model's reasoning and its tool-call id. */
export interface CallOptions {
  rationale?: string;
  callId?: string;
  /** W3C `traceparent` of the caller's span, so exported spans join the agent's trace. */
  traceparent?: string;
}

export interface GuardOptions<A extends unknown[]> {
  /** The model's stated reason, fixed or derived from the call's arguments. */
  rationale?: string | ((...args: A) => string | undefined);
}

/** A guarded tool: the same call signature, plus `.with()` to attach per-call context. */
export type GuardedFunction<A extends unknown[], R> = ((...args: A) => Promise<Awaited<R>>) & {
  /** The same tool, for one call with a rationale and/or call id: `sendEmail.with({ rationale })(args)`. */
  with(options: CallOptions): (...args: A) => Promise<Awaited<R>>;
  readonly toolName: string;
};

/**
 * One agent acting for one user with one declared intent.
 *
 * @example
 * const session = await warden.session({ agent: "support-bot", onBehalfOf: "alice@example.com", intent: "ticket #123" });
 * const readTicket = session.guard("read_ticket", async (a: { id: number }) => ({ id: a.id, body: "…" }));
 * await readTicket({ id: 123 });
 * await session.end();
 */
export class Session {
  readonly #gate: Gate;
  readonly #registry: SessionRegistry;
  readonly #info: SessionInfo;

  /** @internal Sessions come from `warden.session()`. */
  constructor(gate: Gate, registry: SessionRegistry, info: SessionInfo) {
    this.#gate = gate;
    this.#registry = registry;
    this.#info = info;
  }

  get id(): string {
    return this.#info.id;
  }
  get agent(): string {
    return this.#info.agent;
  }
  get onBehalfOf(): string {
    return this.#info.onBehalfOf;
  }
  get intent(): string {
    return this.#info.intent;
  }
  get parent(): string | null {
    return this.#info.parent;
  }
  /** user → agent → sub-agent, as recorded with every call. */
  get principal(): SessionInfo["principal"] {
    return this.#info.principal;
  }

  /**
   * Wraps `fn` so every call is decided by policy and recorded before it runs. A refused call throws
   * ToolDeniedError (TOOL_DENIED) or RateLimitedError (RATE_LIMITED); an `ask` waits for people and
   * then runs or throws ApprovalDeniedError / ApprovalExpiredError (or APPROVAL_MISMATCH); a call whose
   * intent cannot be recorded throws LedgerUnavailableError and never runs.
   * Arguments are recorded as the single argument when there is one, else as an array.
   */
  guard<A extends unknown[], R>(
    name: string,
    fn: (...args: A) => R | Promise<R>,
    options: GuardOptions<A> = {},
  ): GuardedFunction<A, R> {
    const call =
      (callOptions: CallOptions) =>
      (...args: A): Promise<Awaited<R>> => {
        const fixed = options.rationale;
        const rationale = callOptions.rationale ?? (typeof fixed === "function" ? fixed(...args) : fixed);
        return this.#gate.run(
          {
            session: this.id,
            tool: name,
            args: argsOf(args),
            rationale,
            callId: callOptions.callId,
            traceparent: callOptions.traceparent,
          },
          () => fn(...args),
        );
      };
    return Object.assign(call({}), { with: call, toolName: name });
  }

  /**
   * Like `guard`, for a one-argument tool that needs what only Warden may hand it: the secrets the
   * policy injects as `context` (`ctx.secrets`, never in the recorded or model-visible arguments) and a
   * `fetch` held to the policy's egress allowlist. Its result reaches the caller with handed-out
   * values masked as `[secret:NAME]`.
   *
   * @example
   * const listRepos = session.guardWithContext("github_list_repos", async (a: { org: string }, ctx) =>
   *   (await ctx.fetch(`https://api.github.com/orgs/${a.org}/repos`, { headers: { authorization: `Bearer ${ctx.secrets.githubToken}` } })).json());
   */
  guardWithContext<A, R>(
    name: string,
    fn: (args: A, ctx: ToolContext) => R | Promise<R>,
    options: { rationale?: string } = {},
  ): (args: A, callOptions?: CallOptions) => Promise<Awaited<R>> {
    return (args, callOptions = {}) =>
      this.#gate.run(
        { session: this.id, tool: name, args, rationale: options.rationale, ...callOptions },
        (ctx) => fn(args, ctx),
      );
  }

  /**
   * Runs command tool `name` (listed under the policy's `sandbox.commands`) in a bubblewrap sandbox:
   * read-only system, private /tmp and /work, no network but Warden's egress proxy, the policy's
   * limits, and secrets injected as environment variables or proxy headers. `args` is what the ledger
   * records; `run` is the command line made from it.
   *
   * @example
   * const out = await session.command("execute_shell", { script }, { command: ["/bin/sh", "-c", script] });
   */
  command(
    name: string,
    args: unknown,
    run: { command: readonly string[]; stdin?: string },
    options: CallOptions = {},
  ): Promise<CommandResult> {
    return this.#gate.command({ session: this.id, tool: name, args, ...options }, run);
  }

  /** Runs `fn` as tool `name` with `args` recorded — for callers that already hold the arguments. */
  run<R>(
    name: string,
    args: unknown,
    fn: () => R | Promise<R>,
    options: CallOptions = {},
  ): Promise<Awaited<R>> {
    return this.#gate.run({ session: this.id, tool: name, args, ...options }, fn);
  }

  /** Decides and records a call without running anything; follow with `recordOutcome`. */
  check(tool: string, args: unknown, options: CallOptions = {}): Promise<GateDecision> {
    return this.#gate.decide({ session: this.id, tool, args, ...options }, "caller");
  }

  /**
   * For a `check()` that returned a pending approval: waits until people decide, then returns the
   * decision (allowed, open for `recordOutcome`). Throws APPROVAL_DENIED with the approver's reason,
   * APPROVAL_EXPIRED, or APPROVAL_MISMATCH when `args` differ from the approved ones; SESSION_ENDED at
   * once when the session ends meanwhile, wherever it is ended.
   */
  awaitApproval(
    decision: GateDecision,
    options: { args?: unknown; signal?: AbortSignal } = {},
  ): Promise<GateDecision> {
    return this.#gate.awaitApproval(decision, options);
  }

  /**
   * Runs `fn` for a call `check()` already decided (a framework that decides in its own approval hook
   * and runs later): waits for a pending approval bound to `args`, then runs with every guarantee of
   * `run` (secrets, screening, one outcome record, the stop at session end). A refused decision throws
   * its refusal and `fn` never runs; so does a decision given a second time (CALL_ID_CONFLICT: a
   * decision runs once) or `args` other than the ones `check()` decided (APPROVAL_MISMATCH).
   */
  runChecked<R>(
    decision: GateDecision,
    args: unknown,
    fn: () => R | Promise<R>,
    options: { signal?: AbortSignal } = {},
  ): Promise<Awaited<R>> {
    return this.#gate.proceedChecked(decision, {
      tool: decision.tool,
      args,
      signal: options.signal,
      body: async (): Promise<Awaited<R>> => await fn(),
    });
  }

  /**
   * Records the outcome of a call allowed by `check()` that the caller ran itself, and screens its
   * result as a call run here is (`secrets.results`): hand on `result` from the answer, not your own;
   * `status: "withheld"` means hand nothing on (the record says RESULT_WITHHELD).
   */
  recordOutcome(callId: string, outcome: Outcome): Promise<ReportedOutcome> {
    return this.#gate.reportOutcome(callId, outcome, { from: "caller" });
  }

  /**
   * Counts as activity for `sessions.idleTimeout` without a tool call (an MCP client reading a resource
   * or listing prompts). SESSION_ENDED when the session has ended or is past its limits.
   */
  async touch(): Promise<void> {
    await this.#registry.active(this.id);
  }

  /** Ends the session; later calls get SESSION_ENDED. */
  async end(reason = "ended"): Promise<void> {
    await this.#registry.end(this.id, reason);
  }
}

function argsOf(args: unknown[]): unknown {
  return args.length === 1 ? args[0] : args;
}
