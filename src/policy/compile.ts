// Turns a validated policy document into a CompiledPolicy: globs and CEL compiled, defaults filled in.

import { compileMcp } from "../adapters/mcp/config.js";
import { compileGlobs, formatDuration, pathScope } from "../config/index.js";
import { type AgentProfile, compileAgents, compileIdentity, compileSessions } from "../identity/config.js";
import { compileContainment } from "../sandbox/config.js";
import { compileSecrets } from "../secrets/config.js";
import type { CelCondition } from "./cel.js";
import { type CompiledRule, type RegisteredAgent, RuleEngine } from "./evaluate.js";
import type { ApprovalsDocument, DetectDocument, PolicyDocument, RuleDocument } from "./schema.js";
import type {
  ApprovalChannels,
  ApprovalSettings,
  CompiledPolicy,
  DetectSettings,
  LimitSpec,
  PolicyTestCase,
  ToolLabels,
} from "./types.js";

/** Entries of the per-tool redaction cache before it is cleared. */
const REDACT_CACHE_LIMIT = 10_000;

export function compilePolicy(doc: PolicyDocument, source: string, digest: string): CompiledPolicy {
  const profiles = compileAgents(doc.agents);
  const agents = registeredAgents(profiles);
  const engine = new RuleEngine(compileRules(doc), doc.default ?? "deny", agents);
  const redactionsFor = compileRedactions(doc.redact ?? {});

  return Object.freeze({
    digest,
    source,
    mode: doc.mode ?? "enforce",
    defaultEffect: doc.default ?? "deny",
    agents: profiles,
    limits: Object.freeze((doc.limits ?? []).map(toLimitSpec)),
    tests: Object.freeze((doc.tests ?? []).map(toTestCase)),
    evaluate: (input) => engine.evaluate(input),
    redactionsFor,
    agentMayUse: (agent, tool) => {
      if (agents === null) return true;
      return agents.get(agent)?.mayUse(tool) ?? false;
    },
    neverAllowed: (agent, tool) => engine.neverAllowed(tool, agent),
    mcp: doc.mcp === undefined ? null : compileMcp(doc.mcp),
    export: doc.export ?? null,
    identity: compileIdentity(doc.identity),
    detect: compileDetect(doc.detect ?? {}, doc.tools ?? {}, doc.intents ?? {}),
    ...compileApprovals(doc.approvals ?? {}, doc.rules ?? []),
    sessionLimits: compileSessions(doc.sessions),
    secrets: doc.secrets === undefined ? null : compileSecrets(doc.secrets),
    containment: compileContainment(doc.egress, doc.sandbox),
  } satisfies CompiledPolicy);
}

const DEFAULT_APPROVERS = Object.freeze(["role:approver", "role:admin"]);

/** Approval settings per ask rule, each field falling back to `approvals:`, then to the defaults. */
function compileApprovals(
  doc: ApprovalsDocument,
  rules: readonly RuleDocument[],
): Pick<CompiledPolicy, "approvalFor" | "approvalChannels"> {
  // The section's `remember` is a default only for rules that opt in with `remember: default`: a
  // scope nobody wrote for a rule must not widen what its approvals cover.
  const resolve = (over: RuleDocument["approval"] = {}, when?: CelCondition): ApprovalSettings =>
    Object.freeze({
      approvers: over.approvers ?? doc.approvers ?? 1,
      by: Object.freeze([...(over.by ?? doc.by ?? DEFAULT_APPROVERS)]),
      selfApproval: over.selfApproval ?? doc.selfApproval ?? false,
      excludeDeveloper: over.excludeDeveloper ?? doc.excludeDeveloper ?? true,
      timeoutMs: over.timeout ?? doc.timeout ?? 15 * 60_000,
      remember: Object.freeze([
        ...(over.remember === "default" ? (doc.remember ?? []) : (over.remember ?? [])),
      ]),
      conditionReads: when?.argsRead ?? Object.freeze([]),
    });
  const base = resolve();
  const perRule = new Map(
    rules.filter((r) => r.decision === "ask").map((r) => [r.id, resolve(r.approval, r.when)]),
  );
  const channels: ApprovalChannels = Object.freeze({
    webhooks: Object.freeze(
      (doc.webhooks ?? []).map((w) => Object.freeze({ ...w, includeArgs: w.includeArgs ?? false })),
    ),
    slack: Object.freeze(
      (doc.slack ?? []).map((c) =>
        Object.freeze({
          ...c,
          apiUrl: (c.apiUrl ?? "https://slack.com/api").replace(/\/+$/, ""),
          includeArgs: c.includeArgs ?? false,
          users: Object.freeze({ ...(c.users ?? {}) }),
        }),
      ),
    ),
    integrations: Object.freeze((doc.integrations ?? []).map((i) => Object.freeze({ ...i }))),
    publicUrl: doc.publicUrl?.replace(/\/+$/, "") ?? null,
    maxRememberMs: doc.maxRemember ?? 24 * 3_600_000,
  });
  return {
    approvalFor: (ruleId) => (ruleId === null ? base : (perRule.get(ruleId) ?? base)),
    approvalChannels: channels,
  };
}

/** The `agents:` registry with each job description compiled to a matcher. */
function registeredAgents(
  profiles: ReadonlyMap<string, AgentProfile> | null,
): Map<string, RegisteredAgent> | null {
  if (profiles === null) return null;
  return new Map(
    [...profiles].map(([name, profile]) => [name, { profile, mayUse: compileGlobs(profile.tools) }]),
  );
}

/** blocked_tools and allowed_tools become the first two rules, so they name a decision they share. */
function compileRules(doc: PolicyDocument): CompiledRule[] {
  const rules: CompiledRule[] = [];
  if (doc.blocked_tools !== undefined && doc.blocked_tools.length > 0) {
    rules.push(listRule("blocked_tools", "deny", doc.blocked_tools, "the tool is listed in blocked_tools"));
  }
  if (doc.allowed_tools !== undefined && doc.allowed_tools.length > 0) {
    rules.push(listRule("allowed_tools", "allow", doc.allowed_tools, "the tool is listed in allowed_tools"));
  }
  for (const rule of doc.rules ?? []) rules.push(compileRule(rule));
  return rules;
}

function listRule(id: string, effect: "allow" | "deny", tools: string[], reason: string): CompiledRule {
  return { id, effect, reason, matchesTool: compileGlobs(tools), matchesAgent: null, when: null };
}

function compileRule(rule: RuleDocument): CompiledRule {
  const tools = rule.tools ?? (rule.tool === undefined ? [] : [rule.tool]);
  return {
    id: rule.id,
    effect: rule.decision,
    reason: rule.reason ?? `rule ${rule.id}`,
    matchesTool: compileGlobs(tools),
    matchesAgent: rule.agents === undefined ? null : compileGlobs(rule.agents),
    when: rule.when ?? null,
  };
}

function toLimitSpec(limit: NonNullable<PolicyDocument["limits"]>[number]): LimitSpec {
  return {
    id: limit.id,
    key: limit.key,
    tools: limit.tools ?? null,
    agents: limit.agents ?? null,
    calls: limit.calls,
    everyMs: limit.per,
    burst: limit.burst ?? limit.calls,
    reason:
      limit.reason ??
      `limit ${limit.id}: ${limit.calls} calls per ${formatDuration(limit.per)} per ${limit.key}`,
  };
}

function toTestCase(test: NonNullable<PolicyDocument["tests"]>[number], index: number): PolicyTestCase {
  return {
    name: test.name ?? `tests[${index}]: ${test.agent} ${test.tool} → ${test.expect}`,
    agent: test.agent,
    tool: test.tool,
    args: test.args,
    onBehalfOf: test.onBehalfOf,
    intent: test.intent,
    expect: test.expect,
    rule: test.rule ?? null,
  };
}

/** Paths of every `redact:` entry whose glob matches the tool, in file order, without repeats. */
function compileRedactions(redact: Record<string, string[]>): (tool: string) => readonly string[] {
  const entries = Object.entries(redact).map(([glob, paths]) => ({ matches: compileGlobs([glob]), paths }));
  const cache = new Map<string, readonly string[]>();
  return (tool) => {
    const hit = cache.get(tool);
    if (hit !== undefined) return hit;
    const paths = new Set<string>();
    for (const entry of entries) if (entry.matches(tool)) for (const p of entry.paths) paths.add(p);
    const found = Object.freeze([...paths]);
    if (cache.size >= REDACT_CACHE_LIMIT) cache.clear();
    cache.set(tool, found);
    return found;
  };
}

const NO_LABELS: ToolLabels = Object.freeze({ reads: [], sends: [] });

/** The detect settings: absent detectors are off; labels and intent lookups cached per name. */
function compileDetect(
  detect: DetectDocument,
  tools: NonNullable<PolicyDocument["tools"]>,
  intents: NonNullable<PolicyDocument["intents"]>,
): DetectSettings {
  const labelEntries = Object.entries(tools).map(([glob, l]) => ({ matches: compileGlobs([glob]), l }));
  const labelCache = new Map<string, ToolLabels>();
  const intentEntries = Object.entries(intents).map(([pattern, entry]) => ({
    matches: intentMatcher(pattern),
    agents: Array.isArray(entry) ? null : compileGlobs(entry.agents),
    tools: Array.isArray(entry) ? entry : entry.tools,
  }));
  const intentCache = new Map<string, ((tool: string) => boolean) | null>();
  const suppressions = (detect.suppress ?? []).map((s) => ({
    detector: s.detector,
    matches: compileGlobs([s.tool]),
    agents: s.agents === undefined ? null : compileGlobs(s.agents),
    hosts: s.hosts === undefined ? null : s.hosts.map(hostMatcher),
    reason: s.reason,
    expires: Date.parse(s.expires),
  }));
  const dlp = detect.dlp;
  return {
    dlp: dlp ? { ...dlp, piiAction: dlp.piiAction ?? dlp.action } : null,
    canary: detect.canary ?? null,
    flow: (detect.flow ?? []).map((r) => ({
      id: r.id,
      afterReads: r.after?.reads ?? null,
      fromResults: r.from === undefined ? null : (r.from.results ?? "any"),
      fromTools: r.from?.tools ? compileGlobs(r.from.tools) : null,
      fromPaths: r.from?.paths ? pathScope(r.from.paths) : null,
      fromLabels: r.from?.labels ?? null,
      toSends: r.to.sends ?? null,
      toTools: r.to.tools ? compileGlobs(r.to.tools) : null,
      toPaths: r.to.paths ? pathScope(r.to.paths) : null,
      action: r.action,
      reason: r.reason ?? `flow rule ${r.id}`,
    })),
    intent: detect.intent ?? null,
    drift: detect.drift ?? null,
    rate: detect.rate ?? null,
    labelsOf: (tool) => {
      const hit = labelCache.get(tool);
      if (hit !== undefined) return hit;
      const reads = new Set<string>();
      const sends = new Set<string>();
      for (const e of labelEntries) {
        if (!e.matches(tool)) continue;
        for (const r of e.l.reads ?? []) reads.add(r);
        for (const x of e.l.sends ?? []) sends.add(x);
      }
      const found =
        reads.size + sends.size === 0 ? NO_LABELS : Object.freeze({ reads: [...reads], sends: [...sends] });
      if (labelCache.size >= REDACT_CACHE_LIMIT) labelCache.clear();
      labelCache.set(tool, found);
      return found;
    },
    intentTools: (intent, agent) => {
      if (intentEntries.length === 0) return null;
      const key = `${intent}\u0000${agent}`;
      const hit = intentCache.get(key);
      if (hit !== undefined) return hit;
      const globs = intentEntries
        .filter((e) => e.matches(intent) && (e.agents === null || e.agents(agent)))
        .flatMap((e) => e.tools);
      const found = globs.length === 0 ? null : compileGlobs(globs);
      if (intentCache.size >= REDACT_CACHE_LIMIT) intentCache.clear();
      intentCache.set(key, found);
      return found;
    },
    suppressed: (detector, call, now) => {
      for (const s of suppressions) {
        if (s.detector !== detector || now >= s.expires || !s.matches(call.tool)) continue;
        if (s.agents !== null && !s.agents(call.agent)) continue;
        if (s.hosts !== null) {
          const hosts = call.hosts();
          if (hosts.length === 0 || !hosts.every((h) => s.hosts?.some((m) => m(h)))) continue;
        }
        return s.reason;
      }
      return null;
    },
  };
}

/** An intent glob matches the whole declared intent, case-insensitively; only `*` and `?` are special. */
function intentMatcher(pattern: string): (intent: string) => boolean {
  let source = "";
  for (const ch of pattern) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  const re = new RegExp(`^${source}$`, "is");
  return (intent) => re.test(intent.trim());
}

/** A host glob (`*.example.com`), matched case-insensitively against a whole, non-empty host name. */
function hostMatcher(glob: string): (host: string) => boolean {
  const source = glob
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  const re = new RegExp(`^${source}$`);
  return (host) => host !== "" && re.test(host.toLowerCase());
}
