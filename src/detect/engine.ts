// Runs the detectors over one call, folds their findings into the decision, and builds the alert records.

import type { Effect, PolicyDecision } from "../decision.js";
import { type JsonObject, type JsonValue, toJsonValue } from "../json.js";
import { type LedgerRecord, type LedgerStore, parseRecord, type RecordInput } from "../ledger/index.js";
import { Baseline, START } from "./baseline.js";
import type { DetectSettings } from "./config.js";
import { type Canary, CanarySet, canaryOf } from "./detectors/canary/canaries.js";
import type { DetectAction } from "./detectors/config.js";
import { DETECTORS } from "./detectors/index.js";
import { SessionStates, treeOf } from "./session-state.js";
import type { DetectInput, Finding, PreDetector } from "./types.js";
import { urlHosts } from "./url-hosts.js";

/** call.intent records read at open to learn each agent's baseline, newest first. */
const BASELINE_RECORDS = 100_000;
const RANK: Record<Effect, number> = { allow: 0, ask: 1, deny: 2 };

/** What the gate gets back: the decision after detections, alerts to append, findings only logged. */
export interface Screening {
  verdict: PolicyDecision;
  alerts: RecordInput[];
  logged: JsonObject[];
  /** Argument paths holding credentials: the intent record keeps them only as digests. */
  redact: string[];
  /**
   * Detectors that asked about a call a rule asks about already (the verdict names the rule): the
   * approval shows them, and no approval remembered for the rule answers them.
   */
  alsoAsked: string[];
}

/** Stable code of a detector that threw; the finding carries it instead of the error text. */
export const DETECTOR_FAILED = "DETECTOR_FAILED";

export class Detections {
  readonly canaries = new CanarySet();
  readonly #sessions = new SessionStates();
  readonly #baseline = new Baseline();
  readonly #detectors: readonly PreDetector[];

  constructor() {
    const context = { canaries: this.canaries, sessions: this.#sessions, baseline: this.#baseline };
    this.#detectors = Object.values(DETECTORS).map((create) => create(context));
  }

  /**
   * Loads canaries and, when drift or rate detection is on, learns every agent's baseline from the
   * ledger (at open). Without them the history is not read, so a large ledger opens as fast as before.
   */
  async load(store: LedgerStore, settings: DetectSettings): Promise<void> {
    for (const r of await store.query({ kinds: ["canary.create"] })) this.noteRecord(r);
    if (settings.drift === null && settings.rate === null) return;
    const calls = await store.query({ kinds: ["call.intent"], newestFirst: true, limit: BASELINE_RECORDS });
    const last = new Map<string, string>();
    for (let i = calls.length - 1; i >= 0; i--) {
      const read = parseRecord(calls[i]!, "call.intent");
      if (!read.ok) continue;
      const r = read.record;
      if (r.agent === null || r.session === null) continue;
      this.#baseline.addTransition(r.agent, last.get(r.session) ?? START, r.data.tool);
      this.#baseline.addCall(r.agent, Date.parse(r.ts));
      last.set(r.session, r.data.tool);
    }
  }

  /**
   * Picks up canaries other processes minted (e.g. `warden canary create` beside `warden start`):
   * records since `sinceMs`, through the ts index. Returns how many were new.
   */
  async refreshCanaries(store: LedgerStore, sinceMs: number): Promise<number> {
    const before = this.canaries.size;
    const since = new Date(sinceMs).toISOString();
    for (const r of await store.query({ kinds: ["canary.create"], since })) this.noteRecord(r);
    return this.canaries.size - before;
  }

  /** Keeps the canary set current with records appended by this process (`canary.create`). */
  noteRecord(r: LedgerRecord): Canary | null {
    const c = canaryOf(r);
    if (c !== null) this.canaries.add(c);
    return c;
  }

  /**
   * The detections stage: runs every detector, applies suppressions, lets ask/deny findings strengthen
   * the verdict (deny > ask > allow; ruleId `detect:<detector>`), and learns from the call.
   * Never throws: a detector that fails counts as a finding with its configured action.
   */
  screen(
    input: DetectInput,
    settings: DetectSettings,
    policyVerdict: PolicyDecision,
    monitor: boolean,
  ): Screening {
    const findings: Finding[] = [];
    // A suppressed finding still keeps a credential out of the intent record.
    const redact: string[] = [];
    let hosts: string[] | undefined;
    const call = {
      tool: input.tool,
      agent: input.session.agent,
      // Read only when a finding meets a suppression scoped to hosts.
      hosts: () => {
        hosts ??= urlHosts(input.args);
        return hosts;
      },
    };
    for (const d of this.#detectors) {
      let found: Finding[];
      try {
        found = d.check(input, settings);
      } catch {
        found = [failure(d, settings)];
      }
      for (const f of found) {
        if (f.redact !== undefined) redact.push(...f.redact);
        if (settings.suppressed(f.detector, call, input.now) === null) findings.push(f);
      }
    }
    let verdict = policyVerdict;
    for (const f of findings) {
      if (f.action !== "ask" && f.action !== "deny") continue;
      if (RANK[f.action] > RANK[verdict.effect]) {
        verdict = { effect: f.action, ruleId: `detect:${f.detector}`, reason: f.message };
      }
    }
    const alsoAsked =
      verdict.effect === "ask"
        ? findings
            .filter((f) => f.action === "ask" && `detect:${f.detector}` !== verdict.ruleId)
            .map((f) => `${f.detector}: ${f.message}`)
        : [];
    this.#learn(input, settings, monitor ? "allow" : verdict.effect);
    const alerts: RecordInput[] = [];
    const logged: JsonObject[] = [];
    for (const f of findings) {
      if (f.action === "log") logged.push(findingData(f, input));
      else alerts.push(alertRecord(f, input));
    }
    return { verdict, alerts, logged, redact, alsoAsked };
  }

  /**
   * Values of an allowed call's result, remembered (hashed) as flowing from its tool — only when a flow
   * rule asks about provenance, so results cost nothing otherwise. Never throws.
   */
  observeResult(
    settings: DetectSettings,
    session: string,
    tool: string,
    callId: string,
    result: unknown,
  ): void {
    if (!settings.flow.some((r) => r.fromResults !== null)) return;
    let json: JsonValue;
    try {
      json = toJsonValue(result);
    } catch {
      return; // not JSON (a class instance, a cycle): nothing we could match later either
    }
    this.#sessions.rememberResult(session, tool, callId, json);
  }

  /**
   * A session started (its `session.start` record): it joins its tree now, so what the tree read stays
   * tracked for a sub-agent whose parent ends before the sub-agent's first call.
   */
  noteSessionStart(r: LedgerRecord): void {
    const read = parseRecord(r, "session.start");
    if (!read.ok || r.session === null) return;
    const { parent, principal } = read.record.data;
    const first = principal?.find((p) => p.kind === "agent");
    this.#sessions.touch(r.session, first?.kind === "agent" ? first.session : parent);
  }

  endSession(session: string): void {
    this.#sessions.end(session);
  }

  #learn(input: DetectInput, settings: DetectSettings, enforced: Effect): void {
    const state = this.#sessions.touch(input.session.id, treeOf(input.session));
    this.#baseline.addTransition(input.session.agent, state.lastTool ?? START, input.tool);
    state.lastTool = input.tool;
    // Only a call that may run reads anything: one held for approval runs once people approve it,
    // wherever that is decided (another process, an HTTP agent told allow later), so it counts now.
    if (enforced === "deny") return;
    for (const label of settings.labelsOf(input.tool).reads) state.reads.set(label, input.callId);
  }
}

/** A detector that threw: its configured action (ask/deny refuse the call), never a silent pass. */
function failure(d: PreDetector, settings: DetectSettings): Finding {
  const action: DetectAction = d.actionOf(settings) ?? "alert";
  return {
    detector: d.name,
    severity: "high",
    action: action === "log" ? "alert" : action,
    message: `detector ${d.name} failed (${DETECTOR_FAILED})`,
    data: { code: DETECTOR_FAILED },
  };
}

function findingData(f: Finding, input: DetectInput): JsonObject {
  const out: JsonObject = {
    // Exporters title an alert by `type` (OCSF finding_info.title), as they do the exporter's dead letters.
    type: `detect:${f.detector}`,
    detector: f.detector,
    severity: f.severity,
    action: f.action,
    message: f.message,
    callIds: [input.callId, ...(f.relatedCalls ?? [])],
    session: input.session.id,
    tool: input.tool,
  };
  if (f.score !== undefined) out.score = f.score;
  if (f.data !== undefined) out.details = f.data;
  return out;
}

/** The `alert` record of a finding; `callIds` links it to the calls that caused it. */
export function alertRecord(f: Finding, input: DetectInput): RecordInput {
  return {
    kind: "alert",
    session: input.session.id,
    agent: input.session.agent,
    callId: input.callId,
    data: findingData(f, input),
  };
}
