// `warden start` on PostgreSQL with a rate-limited tool: its connections cut while it is paused mid-call,
// again and again; the process lives on and answers again once the database is back.
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/ledger/index.js";
import { createToken } from "../../src/server/index.js";
import { cli } from "../cli/run-cli.js";
import { onCleanup, tempDir } from "../helpers.js";
import { admin, freshSchema, pgAvailable } from "../ledger/pg.js";

const BIN = resolve(import.meta.dirname, "../../dist/cli/bin.js");

const POLICY = `rules:
  - { id: rows, tools: [read_row], decision: allow }
limits:
  - { id: rows-per-agent, key: agent, tools: [read_row], calls: 100000, per: 1h }
`;

describe.runIf(pgAvailable && existsSync(BIN))("warden start when PostgreSQL drops its connections", () => {
  it("lives through connections cut while paused mid-call, and answers again", async () => {
    const cwd = tempDir();
    expect((await cli(["init"], cwd)).code).toBe(0);
    writeFileSync(join(cwd, ".warden/policy.yaml"), POLICY);
    const { url, schema } = freshSchema();
    const store = await PostgresStore.open(url);
    const { token } = await createToken(store, { role: "admin" });
    await store.close();

    const child = spawn(process.execPath, [BIN, "start", "--port", "0", "--db", url], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    onCleanup(() => void child.kill("SIGKILL"));
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    let exitCode: number | null = null;
    child.on("exit", (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
    });
    while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(output)) {
      if (exitCode !== null) throw new Error(`warden start ended: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
    const call = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as { id?: string; decision?: string } }),
        // No answer at all: the process is gone.
        () => ({ status: 0, body: {} as { id?: string; decision?: string } }),
      );
    const session = await call("/v1/sessions", {
      agent: "row-bot",
      onBehalfOf: "u@example.com",
      intent: "rows",
    });
    expect(session.status).toBe(201);
    const decide = () => call("/v1/decisions", { session: session.body.id, tool: "read_row", args: {} });
    expect((await decide()).status).toBe(200);

    for (let round = 0; round < 20; round++) {
      const inFlight = Array.from({ length: 64 }, decide);
      // Paused with calls under way (rate-limit transactions among them), its connections are cut.
      child.kill("SIGSTOP");
      await admin((c) =>
        c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [
          `warden/${schema}`,
        ]),
      );
      child.kill("SIGCONT");
      const answers = await Promise.all(inFlight);
      for (const a of answers) expect([200, 503]).toContain(a.status);
    }
    // Recovered: the same process answers again.
    let last = await decide();
    for (let i = 0; i < 100 && last.status !== 200; i++) last = await decide();
    expect(last).toMatchObject({ status: 200, body: { decision: "allow" } });
    expect(exitCode).toBeNull();
    expect(output).not.toMatch(/Unhandled 'error' event|57P01/);
  });
});
