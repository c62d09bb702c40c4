// `warden start` runs the policy's export sinks and shows their lag on /metrics; stopping it stops them.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { cli } from "../cli/run-cli.js";
import { tempDir } from "../helpers.js";
import { waitFor } from "./helpers.js";

describe("warden start with export:", () => {
  it("exports from start, publishes warden_export_lag_records, and stops cleanly", async () => {
    const cwd = tempDir();
    expect((await cli(["init"], cwd)).code).toBe(0);
    const out = join(cwd, "audit.jsonl");
    const sink = `{ name: file, type: jsonl, path: ${JSON.stringify(out)} }`;
    appendFileSync(join(cwd, ".warden/policy.yaml"), `\nexport:\n  sinks:\n    - ${sink}\n`);
    let stdout = "";
    const io = {
      stdout: (t: string) => {
        stdout += `${t}\n`;
      },
      stderr: () => undefined,
      cwd,
      env: {},
    };
    const running = main(["start", "--port", "0"], io);
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8").includes('"type":"policy.load"'));
    expect(stdout).toContain("exporting the ledger to file");
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
    const lag = async () =>
      (await (await fetch(`${url}/metrics`)).text()).match(
        /warden_export_lag_records\{sink="file"\} (\d+)/,
      )?.[1];
    // The line is in the file before the sink's cursor moves past it: the gauge reaches 0 just after.
    expect(await lag()).toMatch(/^[01]$/);
    await waitFor(async () => (await lag()) === "0");
    // startCommand stops on SIGTERM; emitting it runs that listener without killing the test worker.
    process.emit("SIGTERM");
    expect(await running).toBe(0);
  });
});
