// MCP client configs as their users write them: wrapped behind Warden, started exactly as each client would, unwrapped.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { SqliteStore } from "../../../src/ledger/index.js";
import { checkMcpConfig } from "../../../src/scan/rules/mcp-config.js";
import { openWarden, tempDir } from "../../helpers.js";
import { CHANGING, CLI, connectClient, gatewayFor, records, textOf } from "./helpers.js";

const INSTRUCTIONS = "Greets people by name.";
/** A `${NAME}` reference as a config holds it. */
const ref = (name: string) => `\${${name}}`;

/** The same server in each client's format; its env must reach the server (it becomes its instructions). */
const FORMATS: Record<string, { file: string; doc: (entry: Record<string, unknown>) => unknown }> = {
  "Claude Desktop": { file: "claude_desktop_config.json", doc: (e) => ({ mcpServers: { greeter: e } }) },
  "Claude Code": { file: ".mcp.json", doc: (e) => ({ mcpServers: { greeter: { type: "stdio", ...e } } }) },
  Cursor: { file: "mcp.json", doc: (e) => ({ mcpServers: { greeter: e } }) },
  "VS Code": { file: "mcp.json", doc: (e) => ({ servers: { greeter: { type: "stdio", ...e } } }) },
};

const warden = (dir: string, ...args: string[]) =>
  execFileSync(process.execPath, [CLI, ...args, "--dir", dir], { cwd: dir, encoding: "utf8" });

describe("warden mcp wrap | unwrap", () => {
  it.each(Object.keys(FORMATS))(
    "wraps a %s config; the entry, started as the client would, calls through Warden",
    async (format) => {
      const { file, doc } = FORMATS[format] as (typeof FORMATS)[string];
      const dir = tempDir();
      writeFileSync(join(dir, "policy.yaml"), '{"default": "allow"}');
      const path = join(dir, file);
      const original = doc({
        command: process.execPath,
        args: [CHANGING],
        env: { FIXTURE_INSTRUCTIONS: INSTRUCTIONS },
      });
      writeFileSync(path, JSON.stringify(original, null, 2));

      expect(warden(dir, "mcp", "wrap", path)).toContain("greeter: wrapped");
      expect(JSON.parse(readFileSync(`${path}.warden-backup`, "utf8"))).toEqual(original);
      const wrapped = readFileSync(path, "utf8");
      expect(warden(dir, "mcp", "wrap", path)).toContain("greeter: already wrapped");
      expect(readFileSync(path, "utf8")).toBe(wrapped);
      expect((await checkMcpConfig(file, wrapped)).findings).toEqual([]);

      // Exactly what the client does: its command, args and env (over the default environment).
      const doc2 = JSON.parse(wrapped) as Record<string, Record<string, Record<string, unknown>>>;
      const entry = (doc2.mcpServers ?? doc2.servers)?.greeter as {
        command: string;
        args: string[];
        env: Record<string, string>;
      };
      const client = await connectClient(
        new StdioClientTransport({
          command: entry.command,
          args: entry.args,
          env: { ...getDefaultEnvironment(), ...entry.env },
          cwd: dir,
          stderr: "ignore",
        }),
      );
      expect(client.getInstructions()).toBe(INSTRUCTIONS);
      expect(textOf(await client.callTool({ name: "greet", arguments: { name: format } }))).toBe(
        `Hello, ${format}!`,
      );
      await client.close();
      const store = await SqliteStore.open(join(dir, "ledger.db"));
      try {
        expect((await store.query({ kinds: ["call.intent"] })).map((r) => r.data.tool)).toEqual(["greet"]);
      } finally {
        await store.close();
      }

      expect(warden(dir, "mcp", "unwrap", path)).toContain("greeter: unwrapped");
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(original);
      expect(existsSync(`${path}.warden-backup`)).toBe(true);
    },
  );
});

describe("mcp.servers as clients write them", () => {
  it("takes command + args, and expands VAR and VAR:-default references at launch", async () => {
    process.env.WARDEN_TEST_GREETING = INSTRUCTIONS;
    const { warden: w } = await openWarden({
      default: "allow",
      mcp: {
        servers: {
          greeter: {
            type: "stdio",
            command: process.execPath,
            args: [CHANGING],
            env: {
              FIXTURE_INSTRUCTIONS: ref("WARDEN_TEST_GREETING"),
              FIXTURE_NAME: ref("WARDEN_TEST_UNSET:-named"),
            },
          },
        },
      },
    });
    const gateway = await gatewayFor(w, {});
    const { connectInMemory } = await import("./helpers.js");
    const client = await connectInMemory(gateway);
    expect(client.getInstructions()).toBe(INSTRUCTIONS);
    expect(client.getServerVersion()?.name).toBe("named");
    const loaded = JSON.stringify(await records(w, "policy.load"));
    expect(loaded).not.toContain(INSTRUCTIONS);
    delete process.env.WARDEN_TEST_GREETING;
  });

  it("fails the launch, naming the variable, when one is unset without a default", async () => {
    const { warden: w } = await openWarden({
      default: "allow",
      mcp: {
        servers: { s: { command: process.execPath, args: [CHANGING], env: { T: ref("WARDEN_TEST_NOPE") } } },
      },
    });
    const gateway = await gatewayFor(w, {});
    const { connectInMemory } = await import("./helpers.js");
    await expect(connectInMemory(gateway)).rejects.toThrow(/WARDEN_TEST_NOPE is not set/);
  });
});

describe("the client configs the docs recommend", () => {
  it("pass warden scan's MCP config rules", async () => {
    const root = new URL("../../../", import.meta.url).pathname;
    const snippets: string[] = [];
    for (const doc of ["docs/mcp.md", "examples/mcp/README.md", "README.md"]) {
      const text = readFileSync(join(root, doc), "utf8");
      for (const m of text.matchAll(/```json\n([\s\S]*?)```/g))
        if (m[1]?.includes('"mcpServers"') || m[1]?.includes('"servers"')) snippets.push(m[1]);
    }
    expect(snippets.length).toBeGreaterThanOrEqual(2);
    for (const snippet of snippets) expect((await checkMcpConfig("mcp.json", snippet)).findings).toEqual([]);
  });
});
