// `warden start` with the policy's server: section: the listener keeps its connection limits until a
// restart, and a reload that changes them says so.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { tempDir } from "../helpers.js";
import { closedOrAnswered } from "../server/raw-connections.js";
import { cli } from "./run-cli.js";

describe("warden start with server:", () => {
  it("listens with the policy's limits; a reload that changes a connection limit says it waits for a restart", async () => {
    const cwd = tempDir();
    expect((await cli(["init"], cwd)).code).toBe(0);
    const file = join(cwd, ".warden/policy.yaml");
    const original = readFileSync(file, "utf8");
    const withServer = (server: string) => `${original}\nserver:\n${server}`;
    writeFileSync(file, withServer("  maxConnections: 2\n"));
    let stdout = "";
    let stderr = "";
    const io = {
      stdout: (t: string) => {
        stdout += `${t}\n`;
      },
      stderr: (t: string) => {
        stderr += `${t}\n`;
      },
      cwd,
      env: {},
    };
    const running = main(["start", "--port", "0"], io);
    await vi.waitFor(() => expect(stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/), 10_000);
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
    expect(await closedOrAnswered(port)).toMatch(/^HTTP\/1\.1 200/);

    // Only a per-token budget changes: it applies at once, and nothing waits for a restart.
    writeFileSync(file, withServer("  maxConnections: 2\n  perToken: { maxInFlight: 8 }\n"));
    await vi.waitFor(() => expect(stdout.match(/policy reloaded/g)).toHaveLength(1), 10_000);
    expect(stderr).toBe("");

    writeFileSync(
      file,
      withServer("  maxConnections: 3\n  requestTimeout: 2m\n  perToken: { maxInFlight: 8 }\n"),
    );
    await vi.waitFor(() => expect(stdout.match(/policy reloaded/g)).toHaveLength(2), 10_000);
    expect(stderr).toContain(
      "warden: server.maxConnections (2 → 3), server.requestTimeout (1m → 2m): connection limits take effect when warden start restarts",
    );
    // startCommand stops on SIGTERM; emitting it runs that listener without killing the test worker.
    process.emit("SIGTERM");
    expect(await running).toBe(0);
  });
});
