// Checks that span several parts of a document (unique ids, names that must exist); zod sees one value at a time.
import type { RawIssue } from "./locate.js";

/** Rule ids a policy test may name besides the policy's own rules. */
export const BUILTIN_RULE_IDS = ["default", "agent.tools", "agent.unknown", "blocked_tools", "allowed_tools"];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Runs on the raw document, tolerating anything malformed (zod reports that), so these issues are
 * found even when some other part of the file is broken.
 */
export function crossCheck(doc: unknown): RawIssue[] {
  if (!isObj(doc)) return [];
  const issues: RawIssue[] = [];
  const ruleIds = uniqueIds(doc.rules, "rules", "rule", issues);
  uniqueIds(doc.limits, "limits", "limit", issues);

  items(doc.rules).forEach((rule, i) => {
    if (!isObj(rule)) return;
    if ("tool" in rule && "tools" in rule) {
      issues.push({
        path: ["rules", i, "tool"],
        message: "a rule has either `tool` or `tools`, not both",
        atKey: true,
      });
    } else if (!("tool" in rule) && !("tools" in rule)) {
      issues.push({ path: ["rules", i], message: "a rule needs `tools` (a list of globs) or `tool`" });
    }
    if ("approval" in rule && rule.decision !== "ask") {
      issues.push({
        path: ["rules", i, "approval"],
        message: "`approval` applies only to a rule with `decision: ask`",
        atKey: true,
      });
    }
  });

  const secrets = isObj(doc.secrets) ? doc.secrets : null;
  const providers = new Set([
    "env",
    "file",
    ...Object.keys(isObj(secrets?.providers) ? secrets.providers : {}),
  ]);
  const providerTypes = isObj(secrets?.providers) ? secrets.providers : {};
  for (const [name, item] of Object.entries(isObj(secrets?.items) ? secrets.items : {})) {
    if (!isObj(item) || typeof item.provider !== "string") continue;
    const at = ["secrets", "items", name];
    if (!providers.has(item.provider)) {
      issues.push({
        path: [...at, "provider"],
        message: `provider "${item.provider}" is not env, file or one of secrets.providers`,
      });
      continue;
    }
    const p = providerTypes[item.provider];
    const type =
      item.provider === "env" || item.provider === "file" ? item.provider : isObj(p) ? p.type : null;
    if (type === "env" && typeof item.variable !== "string")
      issues.push({ path: at, message: "an env secret needs `variable`" });
    if (type === "file" && typeof item.path !== "string")
      issues.push({ path: at, message: "a file secret needs `path`" });
    if (type === "vault" && "kv" in item === "creds" in item)
      issues.push({ path: at, message: "a vault secret needs either `kv` or `creds`" });
  }

  // zod's record() skips a "__proto__" key without a word, so the entry would silently vanish.
  for (const section of ["agents", "redact"]) {
    const map = doc[section];
    if (isObj(map) && Object.hasOwn(map, "__proto__")) {
      issues.push({ path: [section, "__proto__"], message: '"__proto__" is a reserved name', atKey: true });
    }
  }

  const registry = isObj(doc.agents) ? doc.agents : null;
  items(doc.tests).forEach((test, i) => {
    if (!isObj(test)) return;
    if (registry !== null && typeof test.agent === "string" && !Object.hasOwn(registry, test.agent)) {
      issues.push({
        path: ["tests", i, "agent"],
        message: `test names agent "${test.agent}", which is not in agents`,
      });
    }
    if (typeof test.rule === "string" && !ruleIds.has(test.rule) && !BUILTIN_RULE_IDS.includes(test.rule)) {
      issues.push({
        path: ["tests", i, "rule"],
        message: `test expects rule "${test.rule}", which does not exist`,
      });
    }
  });
  return issues;
}

function uniqueIds(list: unknown, section: string, what: string, issues: RawIssue[]): Set<string> {
  const seen = new Set<string>();
  items(list).forEach((entry, i) => {
    if (!isObj(entry) || typeof entry.id !== "string") return;
    if (seen.has(entry.id)) {
      issues.push({ path: [section, i, "id"], message: `duplicate ${what} id "${entry.id}"` });
    }
    seen.add(entry.id);
  });
  return seen;
}
