// sandbox.runtime: gvisor through the whole pipeline: a command tool and a sandboxed MCP server run under
// runsc with their secrets off every command line and the egress proxy as their only network; a
// violation and a session end stop them, and nothing of theirs is left running.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { GvisorRunner } from "../../src/sandbox/index.js";
import { connectInMemory, gatewayFor, records, textOf } from "../adapters/mcp/helpers.js";
import { openWarden } from "../helpers.js";
import { alive, cmdlinesHolding, localServer, until } from "../sandbox/fixtures.js";

const available = GvisorRunner.available();
if (!available)
  console.warn("runsc (run as root) or socat is missing: the gVisor pipeline tests are skipped");

const root = new URL("../../", import.meta.url).pathname;
const FETCHER = `${root}test/adapters/mcp/fixtures/fetch-server.mjs`;
const TOKEN = `tok-${randomBytes(16).toString("hex")}`;

/** Live runsc processes (runsc, gofer, sandbox) on the machine started for `needle`'s runs. */
function runscHolding(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmd.includes("runsc") && cmd.includes(needle) && alive(Number(name))) found.push(Number(name));
    } catch {}
  }
  return found;
}

describe.skipIf(!available)("sandbox.runtime: gvisor", () => {
  it("runs a command tool under runsc: env secret off command lines, allowed host reached, a violation kills it and ends the session", async () => {
    const upstream = await localServer();
    const { warden } = await openWarden(
      {
        default: "allow",
        secrets: {
          results: "redact",
          items: {
            token: {
              provider: "env",
              variable: "TOKEN",
              tools: ["fetch_report"],
              inject: { env: "API_TOKEN" },
            },
          },
        },
        egress: { allow: [`localhost:${upstream.port}`] },
        sandbox: { commands: { fetch_report: { timeout: "20s", runtime: "gvisor" } } },
      },
      { env: { TOKEN } },
    );
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "report" });
    const pending = session.command(
      "fetch_report",
      {},
      {
        command: [
          "sh",
          "-c",
          `grep -q gVisor /proc/version 2>/dev/null || dmesg 2>/dev/null | grep -qi gvisor && echo gvisor; echo "t=$API_TOKEN"; curl -s http://localhost:${upstream.port}/report`,
        ],
      },
    );
    expect(cmdlinesHolding(TOKEN)).toEqual([]);
    const out = await pending;
    expect(out.stdout).toBe(`gvisor\nt=[secret:token]\nok /report`);

    const started = Date.now();
    await expect(
      session.command(
        "fetch_report",
        {},
        { command: ["sh", "-c", `curl -s http://127.0.0.1:${upstream.port}/exfil; sleep 30`] },
      ),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(upstream.seen.map((s) => s.url)).toEqual(["/report"]);
    const [violation] = await records(warden, "sandbox.violation");
    expect(violation?.data).toMatchObject({ host: "127.0.0.1", reason: "ip_literal", tool: "fetch_report" });
    expect(await records(warden, "session.end")).toHaveLength(1);
    expect(await until(() => runscHolding("warden-gvisor-").length === 0, 5000)).toBe(true);
  });

  it("a session end stops a command running under runsc", async () => {
    const { warden } = await openWarden({
      default: "allow",
      sandbox: { runtime: "gvisor", commands: { long_job: { timeout: "60s" } } },
    });
    const session = await warden.session({ agent: "bot", onBehalfOf: "alice@example.com", intent: "job" });
    const pending = session
      .command("long_job", {}, { command: ["sh", "-c", "sleep 50 & sleep 50"] })
      .catch((err: unknown) => err);
    expect(await until(() => runscHolding("warden-gvisor-").length > 0, 10_000)).toBe(true);
    await warden.sessions.end(session.id, "admin");
    expect(await pending).toMatchObject({ code: expect.stringMatching(/SESSION_ENDED|SANDBOX/) });
    expect(await until(() => runscHolding("warden-gvisor-").length === 0, 5000)).toBe(true);
  });

  it("launches a sandboxed MCP server under runsc with its env off command lines and only the proxy as network", async () => {
    const upstream = await localServer();
    const { warden } = await openWarden({
      default: "allow",
      egress: { allow: [`localhost:${upstream.port}`] },
    });
    const gateway = await gatewayFor(warden, {
      servers: [
        {
          name: "fetcher",
          command: [process.execPath, FETCHER],
          env: { UPSTREAM_TOKEN: TOKEN },
          cwd: null,
          url: null,
          headers: {},
          sandbox: { readOnly: [root.replace(/\/$/, "")], runtime: "gvisor" },
        },
      ],
    });
    const client = await connectInMemory(gateway);
    const ok = await client.callTool({
      name: "fetch_url",
      arguments: { url: `http://localhost:${upstream.port}/hello` },
    });
    expect(textOf(ok)).toBe("ok /hello");
    const environ = await client.callTool({ name: "read_file", arguments: { path: "/proc/self/environ" } });
    expect(textOf(environ).split("\0")).toContain(`UPSTREAM_TOKEN=${TOKEN}`);
    expect(cmdlinesHolding(TOKEN)).toEqual([]);
    expect(runscHolding("warden-gvisor-").length).toBeGreaterThan(0);
    await client
      .callTool({ name: "fetch_url", arguments: { url: `http://127.0.0.1:${upstream.port}/exfil` } })
      .catch((err: unknown) => err);
    await vi.waitFor(async () => {
      const [violation] = await records(warden, "sandbox.violation");
      expect(violation?.data).toMatchObject({ reason: "ip_literal", tool: "mcp:fetcher" });
    });
    expect(upstream.seen.map((s) => s.url)).toEqual(["/hello"]);
    expect(await until(() => runscHolding("warden-gvisor-").length === 0, 10_000)).toBe(true);
  });
});
