// The results of a policy's tests as text, JSON or JUnit XML (what CI systems show), each failure with its file and line.
import type { PolicyTestResult } from "../policy/index.js";

export const TEST_FORMATS = ["text", "json", "junit"] as const;
export type TestFormat = (typeof TEST_FORMATS)[number];

/** One test's result with where the test is written. */
export interface LocatedResult extends PolicyTestResult {
  file: string;
  line: number;
  column: number;
}

export function formatTestResults(results: LocatedResult[], format: TestFormat, suite: string): string {
  if (format === "json") return JSON.stringify(jsonReport(results));
  if (format === "junit") return junit(results, suite);
  return text(results);
}

function failureText(r: LocatedResult): string {
  const rule = r.expectedRule ? ` by ${r.expectedRule}` : "";
  return `expected ${r.expected}${rule}, got ${r.got.effect} by ${r.got.ruleId} (${r.got.reason})`;
}

function text(results: LocatedResult[]): string {
  const failed = results.filter((r) => !r.ok).length;
  const lines = results.map((r) =>
    r.ok ? `ok    ${r.name}` : `FAIL  ${r.name}: ${failureText(r)}\n      at ${r.file}:${r.line}:${r.column}`,
  );
  return [...lines, `${results.length - failed} passed, ${failed} failed`].join("\n");
}

function jsonReport(results: LocatedResult[]) {
  const failed = results.filter((r) => !r.ok).length;
  return {
    passed: results.length - failed,
    failed,
    tests: results.map((r) => ({
      name: r.name,
      ok: r.ok,
      file: r.file,
      line: r.line,
      column: r.column,
      expected: { effect: r.expected, rule: r.expectedRule },
      got: { effect: r.got.effect, rule: r.got.ruleId, reason: r.got.reason },
    })),
  };
}

/** JUnit XML as GitLab, Jenkins and GitHub test reporters read it: a testcase per test, file and line attributes. */
function junit(results: LocatedResult[], suite: string): string {
  const failed = results.filter((r) => !r.ok).length;
  const cases = results.map((r) => {
    const attrs = `name="${xml(r.name)}" classname="${xml(suite)}" file="${xml(r.file)}" line="${r.line}"`;
    if (r.ok) return `    <testcase ${attrs}/>`;
    const message = failureText(r);
    return [
      `    <testcase ${attrs}>`,
      `      <failure message="${xml(message)}" type="policy">${xml(`${r.file}:${r.line}:${r.column}: ${message}`)}</failure>`,
      "    </testcase>",
    ].join("\n");
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${results.length}" failures="${failed}">`,
    `  <testsuite name="${xml(suite)}" tests="${results.length}" failures="${failed}" errors="0">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
  ].join("\n");
}

/** Text safe inside XML attributes and elements; characters XML 1.0 cannot hold become U+FFFD. */
function xml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
