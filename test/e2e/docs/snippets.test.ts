import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPolicyText } from "../../../src/policy/index.js";
import { tempDir } from "../../helpers.js";
import {
  documentationFiles,
  runnableShellSnippets,
  runShellSnippet,
  type Snippet,
  snippetsOf,
} from "./snippets.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const BIN = join(ROOT, "dist/cli/bin.js");
const YAML = new Set(["yaml", "yml"]);

const all = documentationFiles(ROOT)
  .filter(existsSync)
  .flatMap((file) => snippetsOf(ROOT, file));
const name = (s: Snippet) => `${s.file}:${s.line}`;
const skipped = all.filter((s) => s.mark?.kind === "skip");
const shell = runnableShellSnippets(ROOT);
const policies = all.filter(
  (s) => s.mark?.kind !== "skip" && (YAML.has(s.lang) || (s.lang === "json" && s.mark?.kind === "policy")),
);

/** A folder holding a `warden` that is this checkout's build, as a global install would give. */
function wardenShim(): string {
  const bin = join(tempDir(), "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "warden"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, {
    mode: 0o755,
  });
  return bin;
}

describe("documentation snippets", () => {
  it("every skipped snippet says why", () => {
    for (const s of skipped) expect(s.mark!.reason, name(s)).not.toBe("");
    // Guard against the collector finding nothing (a test that cannot fail).
    expect(shell.length).toBeGreaterThan(3);
    expect(policies.length).toBeGreaterThan(15);
  });

  it.each(policies.map((s) => [name(s), s] as const))("policy %s loads without errors", (where, s) => {
    // A list of rules on its own is checked as the rules: of a policy.
    const text = /^\s*-\s/.test(s.text.replace(/^(\s*#.*\n)+/, "")) ? `rules:\n${s.text}` : s.text;
    const errors = checkPolicyText(text, where).filter((i) => i.severity !== "warning");
    expect(errors.map((e) => `${e.line}:${e.column}: ${e.message}`)).toEqual([]);
  });

  describe.runIf(existsSync(BIN))("shell", () => {
    // The installed package runs these same snippets too (test/e2e/install.test.ts).
    it.each(shell.map((s) => [name(s), s] as const))(
      "%s runs",
      async (where, s) => {
        const run = await runShellSnippet(ROOT, s, wardenShim(), tempDir);
        expect({ where, ...run }).toMatchObject({ where, code: 0 });
      },
      150_000,
    );
  });
});
