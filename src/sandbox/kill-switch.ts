// What a refused connection does: kill the sandbox at once (or refuse only that connection), then record, end, alert.
import type { RecordInput, SandboxViolationData } from "../ledger/index.js";
import type { SandboxAlert } from "./alert.js";
import type { EgressViolation } from "./errors.js";
import type { Killable } from "./runner.js";

/** `kill-session`: kill the process tree and end the session; `deny-request`: refuse that connection, keep going. */
export type ViolationPolicy = "kill-session" | "deny-request";

export interface KillSwitchOptions {
  session: string;
  agent?: string | null;
  callId?: string | null;
  tool: string | null;
  policy: ViolationPolicy;
  /** The running sandbox (a runner or one run's handle). */
  target: Killable;
  /** Ends the Warden session (kill-session only, once). */
  endSession: (sessionId: string, reason: string) => unknown;
  /** Appends a ledger record; here always a `sandbox.violation`. */
  record: (input: RecordInput) => unknown;
  /** Tells the SOC (e.g. createAlertSender(...)); once per kill, or per violation under deny-request. */
  alert?: (alert: SandboxAlert) => unknown;
  /** Told about a callback that failed (stage name only); the kill has happened already. */
  onError?: (stage: "kill" | "record" | "endSession" | "alert", error: unknown) => void;
}

/**
 * Wires a sandbox's violations. Pass `onViolation` to the EgressProxy: under `kill-session` the
 * whole process tree is killed synchronously, before anything else (no await comes first), then
 * the `sandbox.violation` record is written, the session ended (after the record, so the record is
 * inside the chain the session end seals) and the alert sent. A failing callback does not stop the
 * others. `settled()` resolves when every follow-up started so far is done.
 *
 * @example
 * const ks = new KillSwitch({ session: "ses_1", tool: "run_code", policy: "kill-session", target: runner,
 *   endSession: (id, reason) => warden.endSession(id, reason), record: (r) => ledger.append(r),
 *   alert: createAlertSender({ webhook, recentRecords }) });
 * const proxy = new EgressProxy({ allow: ["api.example.com"], onViolation: ks.onViolation });
 */
export class KillSwitch {
  readonly #o: KillSwitchOptions;
  readonly #pending = new Set<Promise<void>>();
  #killedAt: number | null = null;
  #violations = 0;

  constructor(options: KillSwitchOptions) {
    if (options.policy !== "kill-session" && options.policy !== "deny-request") {
      throw new TypeError(`unknown violation policy ${String(options.policy)}`);
    }
    this.#o = options;
  }

  /** performance.now() of the kill, or null when none happened. */
  get killedAt(): number | null {
    return this.#killedAt;
  }

  get violations(): number {
    return this.#violations;
  }

  /** The proxy's `onViolation`. */
  readonly onViolation = (v: EgressViolation): Promise<void> => {
    this.#violations++;
    const at = new Date().toISOString();
    const kill = this.#o.policy === "kill-session";
    const first = kill && this.#killedAt === null;
    if (kill) {
      try {
        this.#o.target.kill("violation");
      } catch (err) {
        // Still record and alert: a kill that failed is exactly what the SOC must hear about.
        this.#report("kill", err);
      }
      this.#killedAt ??= performance.now();
    }
    const work = this.#follow(v, at, kill, first);
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
    return work;
  };

  /** Resolves when every record, session end and alert started so far has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  async #follow(v: EgressViolation, at: string, kill: boolean, first: boolean): Promise<void> {
    const o = this.#o;
    const action = kill ? "killed" : "denied";
    const data: SandboxViolationData = {
      host: v.host,
      port: v.port,
      reason: v.reason,
      address: v.address ?? null,
      tool: o.tool,
      session: o.session,
      action,
      policy: o.policy,
    };
    await this.#step("record", () =>
      o.record({
        kind: "sandbox.violation",
        session: o.session,
        agent: o.agent ?? null,
        callId: o.callId ?? null,
        data,
      }),
    );
    if (kill && first) {
      await this.#step("endSession", () =>
        o.endSession(o.session, `sandbox violation: ${v.reason} ${v.host}:${v.port}`),
      );
    }
    if (o.alert && (first || !kill)) {
      const alert: SandboxAlert = {
        session: o.session,
        agent: o.agent ?? null,
        callId: o.callId ?? null,
        tool: o.tool,
        host: v.host,
        port: v.port,
        reason: v.reason,
        address: v.address ?? null,
        action,
        at,
      };
      await this.#step("alert", () => o.alert!(alert));
    }
  }

  async #step(stage: "record" | "endSession" | "alert", fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#report(stage, err);
    }
  }

  #report(stage: "kill" | "record" | "endSession" | "alert", err: unknown): void {
    try {
      this.#o.onError?.(stage, err);
    } catch {}
  }
}
