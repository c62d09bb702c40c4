// Entry points that turn policy text into a CompiledPolicy, or into every issue found in it.
import { readFile } from "node:fs/promises";
import type * as z from "zod";
import { canonicalDigest } from "../digest.js";
import { PolicyInvalidError, type PolicyIssue } from "../errors.js";
import { checkArgTypes } from "./arg-types.js";
import { compilePolicy } from "./compile.js";
import { type DocPath, parseText, type RawIssue } from "./locate.js";
import { policySchema } from "./schema.js";
import { crossCheck } from "./semantic.js";
import type { CompiledPolicy } from "./types.js";

/**
 * Parses and compiles a policy (YAML or JSON; the plain `allowed_tools`/`blocked_tools` form too).
 * Throws PolicyInvalidError carrying every issue, each with file, line and column.
 * @example
 * const policy = parsePolicy('{"allowed_tools": ["read_database"]}', "<inline>");
 * policy.evaluate({
 *   tool: "read_database",
 *   args: {},
 *   agent: { name: "bot", team: null, developer: null },
 *   session: { id: "s1", onBehalfOf: "alice@example.com", intent: "report", parent: null },
 *   now: new Date(),
 * }).effect; // "allow"
 */
export function parsePolicy(text: string, source: string): CompiledPolicy {
  const { policy, issues } = analyze(text, source);
  if (policy === undefined) throw new PolicyInvalidError(issues.filter((i) => i.severity !== "warning"));
  return policy;
}

/**
 * Every issue in a policy text, in file order, for `warden policy check`: the policy is valid when
 * none is an error (warnings carry `severity: "warning"`).
 */
export function checkPolicyText(text: string, source: string): PolicyIssue[] {
  return analyze(text, source).issues;
}

/** Reads and parses a policy file. An unreadable file is a PolicyInvalidError with one issue at 1:1. */
export async function loadPolicyFile(path: string): Promise<CompiledPolicy> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const message = `cannot read policy file: ${err instanceof Error ? err.message : String(err)}`;
    throw new PolicyInvalidError([{ file: path, line: 1, column: 1, path: [], message }]);
  }
  return parsePolicy(text, path);
}

/** `file:line:column: message`, the form editors and CI annotate. */
export function formatIssue(issue: PolicyIssue): string {
  const warning = issue.severity === "warning" ? "warning: " : "";
  return `${issue.file}:${issue.line}:${issue.column}: ${warning}${issue.message}`;
}

function analyze(text: string, source: string): { policy?: CompiledPolicy; issues: PolicyIssue[] } {
  try {
    return analyzeUnguarded(text, source);
  } catch (err) {
    // Callers rely on PolicyInvalidError being the only failure (e.g. a stack overflow on absurd nesting).
    const message = `cannot read policy: ${err instanceof Error ? err.message : String(err)}`;
    return { issues: [{ file: source, line: 1, column: 1, path: [], message }] };
  }
}

function analyzeUnguarded(text: string, source: string): { policy?: CompiledPolicy; issues: PolicyIssue[] } {
  const parsed = parseText(text, source);
  if (parsed.issues.length > 0) return { issues: parsed.issues };
  const value = parsed.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const message = "a policy is a mapping, e.g. {allowed_tools: [...]} or the full form with rules:";
    return { issues: [parsed.locate({ path: [], message })] };
  }
  const raw: RawIssue[] = [];
  const result = policySchema.safeParse(value);
  if (!result.success) for (const issue of result.error.issues) raw.push(...fromZod(issue, value));
  raw.push(...crossCheck(value), ...checkArgTypes(value));
  const issues = sortIssues(raw.map(parsed.locate));
  if (!result.success || issues.some((i) => i.severity !== "warning")) return { issues };
  return { policy: compilePolicy(result.data, source, canonicalDigest(value)), issues };
}

function fromZod(issue: z.core.$ZodIssue, doc: unknown): RawIssue[] {
  const path: DocPath = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key "${key}"`,
        atKey: true,
      }));
    case "invalid_key":
      return [{ path, message: `bad key: ${issue.issues.map((i) => i.message).join("; ")}`, atKey: true }];
    case "invalid_type":
      if (path.length > 0 && valueAt(doc, path) === undefined) {
        return [{ path, message: `missing required key "${path[path.length - 1]}"` }];
      }
      return [{ path, message: issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}

function valueAt(doc: unknown, path: DocPath): unknown {
  let v = doc;
  for (const step of path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, step)) return undefined;
    v = (v as Record<string | number, unknown>)[step];
  }
  return v;
}

function sortIssues(issues: PolicyIssue[]): PolicyIssue[] {
  const seen = new Set<string>();
  return issues
    .filter((i) => {
      const key = `${i.line}:${i.column}:${i.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}
