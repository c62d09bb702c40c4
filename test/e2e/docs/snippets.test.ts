// Every shell snippet and policy snippet in the README, docs/ and the examples' READMEs that can run here
// does: shell blocks run with bash (in a folder after `warden init`, or from the repository root when
// marked `<!-- snippet: repo -->`), YAML blocks and JSON blocks marked `<!-- snippet: policy -->` load as
// policies with no error. A block that cannot run offline or in a test (a server that runs until stopped,
// a registry install, a PostgreSQL host, a transcript) is marked `<!-- snippet: skip — why -->`, with the
// reason required and shown here.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { checkPolicyText } from "../../../src/policy/index.js";
import { cli } from "../../cli/run-cli.js";
import { tempDir } from "../../helpers.js";
import { documentationFiles, type Snippet, snippetsOf } from "./snippets.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const BIN = join(ROOT, "dist/cli/bin.js");
const SHELL = new Set(["sh", "bash", "shell"]);
const YAML = new Set(["yaml", "yml"]);

const all = documentationFiles(ROOT)
  .filter(existsSync)
  .flatMap((file) => snippetsOf(ROOT, file));
const name = (s: Snippet) => `${s.file}:${s.line}`;
const skipped = all.filter((s) => s.mark?.kind === "skip");
const shell = all.filter((s) => SHELL.has(s.lang) && s.mark?.kind !== "skip");
const policies = all.filter(
  (s) => s.mark?.kind !== "skip" && (YAML.has(s.lang) || (s.lang === "json" && s.mark?.kind === "policy")),
);

/** A `warden` on the PATH that is this checkout's build, as a global install would give. */
function pathWithWarden(): string {
  const bin = join(tempDir(), "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "warden"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, {
    mode: 0o755,
  });
  return `${bin}:${process.env.PATH}`;
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
    it.each(shell.map((s) => [name(s), s] as const))(
      "%s runs",
      async (where, s) => {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          PATH: pathWithWarden(),
          npm_config_offline: "true",
          NO_COLOR: "1",
        };
        let cwd = ROOT;
        if (s.mark?.kind !== "repo") {
          cwd = tempDir();
          expect((await cli(["init"], cwd)).code).toBe(0);
        } else {
          // From the repository root; whatever a snippet writes under .warden goes to a temporary folder.
          env.WARDEN_DIR = tempDir();
        }
        const run = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", s.text], {
          cwd,
          env,
          timeout: 120_000,
        }).catch((err: { code?: number; stdout?: string; stderr?: string }) => err);
        expect({ where, code: "code" in run ? run.code : 0, stderr: run.stderr }).toMatchObject({
          where,
          code: 0,
        });
      },
      150_000,
    );
  });
});
