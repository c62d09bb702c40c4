import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { PolicyInvalidError } from "../../src/errors.js";
import type { JsonValue } from "../../src/json.js";
import { applyRedactions, checkPolicyText, parsePolicy } from "../../src/policy/index.js";
import { call } from "./helpers.js";

const exampleText = readFileSync(
  fileURLToPath(new URL("../fixtures/policy/example.yaml", import.meta.url)),
  "utf8",
);
const example = parsePolicy(exampleText, "example.yaml");
const exampleDoc = parseYaml(exampleText) as JsonValue;

/** parsePolicy either returns a policy or throws PolicyInvalidError with located issues; nothing else. */
function parsesOrReportsIssues(text: string): void {
  try {
    parsePolicy(text, "fuzz.yaml");
  } catch (err) {
    if (!(err instanceof PolicyInvalidError)) throw err;
    expect(err.issues.length).toBeGreaterThan(0);
    for (const issue of err.issues) {
      expect(issue.line).toBeGreaterThanOrEqual(1);
      expect(issue.column).toBeGreaterThanOrEqual(1);
    }
  }
  expect(Array.isArray(checkPolicyText(text, "fuzz.yaml"))).toBe(true);
}

/** Replaces the value at a random place in a JSON tree (chosen by `path` indexes) with `replacement`. */
function mutate(doc: JsonValue, path: number[], replacement: JsonValue): JsonValue {
  const [step, ...rest] = path;
  if (step === undefined || doc === null || typeof doc !== "object") return replacement;
  if (Array.isArray(doc)) {
    if (doc.length === 0) return replacement;
    const i = step % doc.length;
    return doc.map((v, j) => (j === i ? mutate(v, rest, replacement) : v));
  }
  const keys = Object.keys(doc);
  if (keys.length === 0) return replacement;
  const key = keys[step % keys.length]!;
  return { ...doc, [key]: mutate(doc[key]!, rest, replacement) };
}

describe("policy loader fuzzing", () => {
  it("random text only ever yields a policy or PolicyInvalidError", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), parsesOrReportsIssues), { numRuns: 500 });
  });

  it("random YAML-ish text made of policy vocabulary too", () => {
    const token = fc.constantFrom(
      "rules:",
      "- id: a",
      "tool: x",
      "decision: deny",
      "when: 'args.x > 1'",
      "limits:",
      "per: 1m",
      "agents:",
      "tests:",
      "{",
      "}",
      "[",
      "]",
      ":",
      "-",
      "  ",
      "\n",
      "*",
      "&a",
      "*a",
      "!!str",
      "'",
      '"',
      "#",
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) => parsesOrReportsIssues(tokens.join(" "))),
      {
        numRuns: 500,
      },
    );
  });

  it("valid policies with random text edits", () => {
    const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 20 }), insert: fc.string({ maxLength: 10 }) });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let text = exampleText;
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.del);
        }
        parsesOrReportsIssues(text);
      }),
      { numRuns: 300 },
    );
  });

  it("valid policies with a random value swapped in anywhere, as YAML and as JSON", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), (path, value) => {
        const doc = mutate(exampleDoc, path, value as JsonValue);
        parsesOrReportsIssues(stringifyYaml(doc));
        parsesOrReportsIssues(JSON.stringify(doc, null, 2));
      }),
      { numRuns: 300 },
    );
  });
});

describe("evaluate and redaction fuzzing", () => {
  const names = fc.oneof(
    fc.constantFrom(
      "support-bot",
      "research-bot",
      "send_email",
      "github__get_x",
      "execute_shell",
      "read_ticket",
    ),
    fc.string({ maxLength: 20 }),
  );

  it("random args, tools and agents never make evaluate() throw", () => {
    fc.assert(
      fc.property(
        names,
        names,
        fc.jsonValue(),
        fc.date({ noInvalidDate: false }),
        (tool, agent, args, now) => {
          const d = example.evaluate(call(tool, args as JsonValue, agent, { now }));
          expect(["allow", "deny", "ask"]).toContain(d.effect);
          expect(typeof d.ruleId).toBe("string");
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("random args never make redaction throw or mutate its input", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (args) => {
        const before = JSON.stringify(args);
        applyRedactions(args as JsonValue, ["$.body", "$.attachments[*].content", "$[*]", "$[0]"]);
        expect(JSON.stringify(args)).toBe(before);
      }),
      { numRuns: 500 },
    );
  });
});
