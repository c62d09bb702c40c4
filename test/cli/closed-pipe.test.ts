// `warden … | head -1`: output to a reader that went away ends quietly, with the command's own exit status.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import { cli } from "./run-cli.js";

const BIN = resolve(import.meta.dirname, "../../dist/cli/bin.js");

/** Runs the built CLI with its stdout pipe closed by the reader at once; its exit code and stderr. */
function runWithClosedStdout(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code, stderr }));
  });
}

describe.runIf(existsSync(BIN))("a closed stdout pipe", () => {
  it("verify, log and help end with their real exit status and no EPIPE trace", async () => {
    const cwd = tempDir();
    expect((await cli(["init"], cwd)).code).toBe(0);
    for (const [args, status] of [
      // A new ledger holds no record yet: verify reports that as a finding.
      [["verify"], 1],
      [["log", "--json"], 0],
      [["--help"], 0],
      // - as an output FILE: the export stops where the reader went away, quietly.
      [["export", "--jsonl", "-"], 0],
      [["policy", "check", ".warden/policy.yaml"], 0],
    ] as const) {
      const run = await runWithClosedStdout([...args], cwd);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: status, stderr: "" });
    }
    // No command: the usage goes to stderr (it is an error), and still no EPIPE trace.
    const bare = await runWithClosedStdout([], cwd);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^usage: warden/);
    expect(bare.stderr).not.toMatch(/EPIPE|Error/);
  });
});
