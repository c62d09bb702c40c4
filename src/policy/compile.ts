// Turns a validated policy document into a CompiledPolicy: globs and CEL compiled, defaults filled in.

import { compileMcp } from "../adapters/mcp/config.js";
import { type ApprovalsDocument, compileApprovalChannels, resolveApproval } from "../approvals/config.js";
import { compileGlobs } from "../config/index.js";
import { compileDetect } from "../detect/config.js";
import { type AgentProfile, compileAgents, compileIdentity, compileSessions } from "../identity/config.js";
import { compileContainment } from "../sandbox/config.js";
import { compileSecrets } from "../secrets/config.js";
import { compileHttpLimits } from "../server/config.js";
import { type CompiledRule, type RegisteredAgent, RuleEngine } from "./evaluate.js";
import { compileLimits } from "./limits-config.js";
import type { PolicyDocument, RuleDocument } from "./schema.js";
import type { CompiledPolicy, PolicyTestCase } from "./types.js";

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
    limits: compileLimits(doc.limits),
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
    detect: compileDetect(doc.detect, doc.tools, doc.intents),
    ...compileApprovals(doc.approvals ?? {}, doc.rules ?? []),
    sessionLimits: compileSessions(doc.sessions),
    secrets: doc.secrets === undefined ? null : compileSecrets(doc.secrets),
    containment: compileContainment(doc.egress, doc.sandbox),
    server: compileHttpLimits(doc.server),
  } satisfies CompiledPolicy);
}

/** Approval settings per ask rule, each field falling back to `approvals:`, then to the defaults. */
function compileApprovals(
  doc: ApprovalsDocument,
  rules: readonly RuleDocument[],
): Pick<CompiledPolicy, "approvalFor" | "approvalChannels"> {
  const base = resolveApproval(doc);
  const perRule = new Map(
    rules
      .filter((r) => r.decision === "ask")
      .map((r) => [r.id, resolveApproval(doc, r.approval, r.when?.argsRead)]),
  );
  return {
    approvalFor: (ruleId) => (ruleId === null ? base : (perRule.get(ruleId) ?? base)),
    approvalChannels: compileApprovalChannels(doc),
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
