// MCP client configs as their users write them: wrapped behind Warden, started exactly as each client would, unwrapped.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { wrapConfig } from "../../../src/adapters/mcp/index.js";
import { SqliteStore } from "../../../src/ledger/index.js";
import { checkMcpConfig } from "../../../src/scan/mcp/config-rules.js";
import { createToken } from "../../../src/server/index.js";
import { openWarden, tempDir } from "../../helpers.js";
import { CHANGING, CLI, connectClient, gatewayFor, records, stdioServer, textOf } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const INSTRUCTIONS = "Greets people by name.";
/** A `${NAME}` reference as a config holds it. */
const ref = (name: string) => `\${${name}}`;

type Entry = { command: string; args: string[]; env?: Record<string, string>; type?: string };

/**
 * The same server in each client's format, at the place each client reads it; its env must reach the
 * server (it becomes its instructions). `launch` turns the wrapped entry into what that client starts:
 * VS Code and Cursor expand `${workspaceFolder}` and start project servers in the project folder.
 */
const FORMATS: Record<
  string,
  { file: string; table: "mcpServers" | "servers"; type?: string; workspace?: boolean }
> = {
  "Claude Desktop": { file: "claude_desktop_config.json", table: "mcpServers" },
  "Claude Code": { file: ".mcp.json", table: "mcpServers", type: "stdio" },
  Cursor: { file: ".cursor/mcp.json", table: "mcpServers", workspace: true },
  "VS Code": { file: ".vscode/mcp.json", table: "servers", type: "stdio", workspace: true },
};

const configDoc = (table: string, servers: Record<string, unknown>) => ({ [table]: servers });

const warden = (dir: string, ...args: string[]) =>
  execFileSync(process.execPath, [CLI, ...args, "--dir", join(dir, ".warden")], {
    cwd: dir,
    encoding: "utf8",
  });

/**
 * A project folder where `npx -y agent-warden@VERSION` finds this checkout as the installed package (as
 * after `npm install agent-warden`), so the wrapped entry starts offline exactly as written.
 */
function project(): string {
  const dir = tempDir();
  mkdirSync(join(dir, ".warden"));
  writeFileSync(join(dir, ".warden", "policy.yaml"), '{"default": "allow"}');
  mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
  symlinkSync(ROOT, join(dir, "node_modules", "agent-warden"));
  // What npm writes for the package's bin (dist/ from the build is not executable by itself).
  writeFileSync(
    join(dir, "node_modules", ".bin", "warden"),
    `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "dist", "cli", "bin.js")}" "$@"\n`,
    { mode: 0o755 },
  );
  return dir;
}

/** Starts a wrapped entry as its client would: its command, args and env over the default environment. */
async function launch(dir: string, entry: Entry, workspace: boolean, extraEnv: Record<string, string> = {}) {
  const expand = (text: string) => (workspace ? text.replaceAll(ref("workspaceFolder"), dir) : text);
  return connectClient(
    new StdioClientTransport({
      command: entry.command,
      args: entry.args.map(expand),
      env: {
        ...getDefaultEnvironment(),
        ...extraEnv,
        ...entry.env,
        // Never the registry: the package must come from the project's node_modules.
        npm_config_offline: "true",
      },
      cwd: dir,
      stderr: "ignore",
    }),
  );
}

async function ledgerTools(dir: string): Promise<{ tools: unknown[]; all: string }> {
  const store = await SqliteStore.open(join(dir, ".warden", "ledger.db"));
  try {
    const all = await store.query({});
    return {
      tools: all.filter((r) => r.kind === "call.intent").map((r) => r.data.tool),
      all: JSON.stringify(all),
    };
  } finally {
    await store.close();
  }
}

const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

describe("warden mcp wrap | unwrap", () => {
  it.each(Object.keys(FORMATS))(
    "wraps a %s config; the entry, started as the client would, calls through Warden",
    async (format) => {
      const { file, table, type, workspace = false } = FORMATS[format] as (typeof FORMATS)[string];
      const dir = project();
      const path = join(dir, file);
      mkdirSync(dirname(path), { recursive: true });
      const original = configDoc(table, {
        greeter: {
          ...(type ? { type } : {}),
          command: process.execPath,
          args: [CHANGING],
          env: { FIXTURE_INSTRUCTIONS: INSTRUCTIONS },
        },
      });
      writeFileSync(path, JSON.stringify(original, null, 2));

      expect(warden(dir, "mcp", "wrap", path)).toContain("greeter: wrapped");
      expect(JSON.parse(readFileSync(`${path}.warden-backup`, "utf8"))).toEqual(original);
      const wrapped = readFileSync(path, "utf8");
      expect(warden(dir, "mcp", "wrap", path)).toContain("greeter: already wrapped");
      expect(readFileSync(path, "utf8")).toBe(wrapped);
      expect((await checkMcpConfig(file, wrapped)).findings).toEqual([]);

      const entry = (JSON.parse(wrapped) as Record<string, Record<string, Entry>>)[table]?.greeter as Entry;
      // Portable: the published package at this version, and (in a project config) no absolute path.
      expect([entry.command, ...entry.args.slice(0, 2)]).toEqual([
        "npx",
        "-y",
        `agent-warden@${PKG.version}`,
      ]);
      if (file !== "claude_desktop_config.json") expect(wrapped).not.toContain(dir);
      // A fresh checkout has the policy but no ledger (not committed): the first launch creates it.
      expect(entry.args).toContain("--init");
      expect(existsSync(join(dir, ".warden", "ledger.db"))).toBe(false);
      const client = await launch(dir, entry, workspace);
      expect(client.getInstructions()).toBe(INSTRUCTIONS);
      expect(textOf(await client.callTool({ name: "greet", arguments: { name: format } }))).toBe(
        `Hello, ${format}!`,
      );
      await client.close();
      expect((await ledgerTools(dir)).tools).toEqual(["greet"]);

      expect(warden(dir, "mcp", "unwrap", path)).toContain("greeter: unwrapped");
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(original);
      expect(existsSync(`${path}.warden-backup`)).toBe(true);
    },
  );

  it.each(Object.keys(FORMATS).filter((f) => f !== "Claude Desktop"))(
    "wraps a %s URL server: headers move to env as written, and the secret reaches neither file nor ledger",
    async (format) => {
      const { file, table, workspace = false } = FORMATS[format] as (typeof FORMATS)[string];
      const { warden: inner } = await openWarden({ default: "allow" });
      const innerGateway = await gatewayFor(inner, { servers: [stdioServer("changing", CHANGING)] });
      const innerUrl = (await innerGateway.listen({ port: 0 })).url;
      const { token } = await createToken(inner.ledger.store, { role: "agent", agent: "a" });

      const dir = project();
      const path = join(dir, file);
      mkdirSync(dirname(path), { recursive: true });
      const original = configDoc(table, {
        "remote.greeter": {
          type: "http",
          url: innerUrl,
          headers: { Authorization: `Bearer ${ref("GREETER_TOKEN")}` },
          disabled: false,
        },
        legacy: { type: "sse", url: "https://mcp.example.com/sse" },
      });
      writeFileSync(path, JSON.stringify(original, null, 2));

      const said = warden(dir, "mcp", "wrap", path);
      expect(said).toContain("remote.greeter: wrapped");
      expect(said).toContain("legacy: wrapped");
      const wrapped = readFileSync(path, "utf8");
      expect((await checkMcpConfig(file, wrapped)).findings).toEqual([]);
      const servers = (
        JSON.parse(wrapped) as Record<string, Record<string, Entry & Record<string, unknown>>>
      )[table] as Record<string, Entry & Record<string, unknown>>;
      const entry = servers["remote.greeter"] as Entry & Record<string, unknown>;
      expect(entry).toMatchObject({ type: "stdio", disabled: false });
      expect(entry.url).toBeUndefined();
      expect(entry.env).toEqual({ WARDEN_HEADER_AUTHORIZATION: `Bearer ${ref("GREETER_TOKEN")}` });
      expect(servers.legacy?.args).toEqual(expect.arrayContaining(["--transport", "sse"]));

      // The client expands nothing here: Warden expands the reference from the environment it was given.
      const client = await launch(dir, entry, workspace, { GREETER_TOKEN: token });
      expect(textOf(await client.callTool({ name: "greet", arguments: { name: format } }))).toBe(
        `Hello, ${format}!`,
      );
      await client.close();
      const outer = await ledgerTools(dir);
      expect(outer.tools).toEqual(["greet"]);
      expect(outer.all).not.toContain(token);
      expect(wrapped).not.toContain(token);

      expect(warden(dir, "mcp", "unwrap", path)).toContain("remote.greeter: unwrapped");
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(original);
    },
  );
});

describe("warden mcp wrap | unwrap: files as they come", () => {
  /** The CLI's exit code, stdout and stderr, without throwing on a refusal. */
  const run = (dir: string, ...args: string[]) => {
    try {
      return { code: 0, out: warden(dir, ...args), err: "" };
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      return { code: e.status, out: e.stdout, err: e.stderr };
    }
  };

  it("unwrap gives a VS Code file back byte for byte, comments and trailing commas included", () => {
    const dir = project();
    const path = join(dir, ".vscode", "mcp.json");
    mkdirSync(dirname(path));
    const original = `// project servers
{
  "inputs": [{ "type": "promptString", "id": "key", "password": true }],
  "servers": {
    "files": { "type": "stdio", "command": "node", "args": ["s.js"], }, // the local one
    "remote": { "type": "http", "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer ${ref("input:key")}" } },
  },
}
`;
    writeFileSync(path, original);
    run(dir, "mcp", "wrap", path);
    expect(JSON.parse(readFileSync(path, "utf8")).inputs).toEqual([
      { type: "promptString", id: "key", password: true },
    ]);
    expect(run(dir, "mcp", "unwrap", path).out).toContain("remote: unwrapped");
    expect(readFileSync(path, "utf8")).toBe(original);
  });

  it("warns when there is no policy yet: the wrapped servers would not start", () => {
    const dir = project();
    rmSync(join(dir, ".warden", "policy.yaml"));
    const path = join(dir, ".mcp.json");
    writeFileSync(path, JSON.stringify({ mcpServers: { a: { command: "node", args: ["s.js"] } } }));
    const result = spawnSync(process.execPath, [CLI, "mcp", "wrap", path, "--dir", join(dir, ".warden")], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("a: wrapped");
    expect(result.stderr).toContain(`no policy at ${join(dir, ".warden", "policy.yaml")} yet`);
  });

  it("says which wrapped server warden scan will still report, and adds no finding of its own", () => {
    const dir = project();
    const path = join(dir, ".mcp.json");
    writeFileSync(
      path,
      JSON.stringify({
        mcpServers: {
          loose: { command: "npx", args: ["-y", "@modelcontextprotocol/server-memory"] },
          pinned: { command: "npx", args: ["-y", "@modelcontextprotocol/server-memory@2026.8.31"] },
        },
      }),
    );
    const result = spawnSync(process.execPath, [CLI, "mcp", "wrap", path, "--dir", join(dir, ".warden")], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    const notes = result.stderr.split("\n").filter((l) => l.includes("note:"));
    expect(notes).toEqual([
      'warden mcp wrap: note: server "loose" runs npx @modelcontextprotocol/server-memory without a pinned version (warden scan: mcp-unpinned-server, high)',
    ]);
  });

  it("refuses a file that is not JSON, has no server table or is read-only, naming it and changing nothing", () => {
    const dir = project();
    const cases = {
      "empty.json": { text: "", mode: 0o644, says: "is not JSON" },
      "broken.json": { text: '{"mcpServers": {"a": {"command": "x",}', mode: 0o644, says: "is not JSON" },
      "other.json": { text: '{"editor.fontSize": 12}', mode: 0o644, says: "no mcpServers or servers" },
      "locked.json": { text: '{"mcpServers": {"a": {"command": "x"}}}', mode: 0o444, says: "is read-only" },
    };
    for (const [name, { text, mode, says }] of Object.entries(cases)) {
      const path = join(dir, name);
      writeFileSync(path, text, { mode });
      const { code, err } = run(dir, "mcp", "wrap", path);
      expect([name, code]).toEqual([name, 2]);
      expect(err).toContain(says);
      expect(err).not.toContain("usage:");
      expect(readFileSync(path, "utf8")).toBe(text);
      expect(existsSync(`${path}.warden-backup`)).toBe(false);
    }
  });

  it("hands the variables of an entry's envFile on to the server, as the client would", async () => {
    const dir = project();
    const path = join(dir, ".vscode", "mcp.json");
    mkdirSync(dirname(path));
    writeFileSync(join(dir, ".env"), `# the greeting\nexport FIXTURE_INSTRUCTIONS="${INSTRUCTIONS}"\n`);
    const original = {
      servers: {
        greeter: {
          type: "stdio",
          command: process.execPath,
          args: [CHANGING],
          envFile: `${ref("workspaceFolder")}/.env`,
        },
      },
    };
    writeFileSync(path, JSON.stringify(original));
    run(dir, "mcp", "wrap", path);
    const entry = JSON.parse(readFileSync(path, "utf8")).servers.greeter as Entry & { envFile: string };
    expect(entry.envFile).toBe(original.servers.greeter.envFile);
    // VS Code does not always put the file's variables into Warden's environment: the file is read too.
    const client = await launch(dir, entry, true);
    expect(client.getInstructions()).toBe(INSTRUCTIONS);
    await client.close();
    run(dir, "mcp", "unwrap", path);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(original);
  });
});

describe("warden scan over a wrapped config", () => {
  it("still names an unpinned server behind Warden, as it did before wrapping", async () => {
    const doc = {
      mcpServers: {
        loose: { command: "npx", args: ["-y", "@modelcontextprotocol/server-memory"] },
        pinned: { command: "npx", args: ["-y", "@modelcontextprotocol/server-memory@2026.8.31"] },
      },
    };
    const before = await checkMcpConfig("mcp.json", JSON.stringify(doc));
    wrapConfig(doc, { launcher: ["npx", "-y", "agent-warden@0.1.0"], policy: "p.yaml", db: "l.db" });
    const after = await checkMcpConfig("mcp.json", JSON.stringify(doc));
    const unpinned = (r: typeof after) =>
      r.findings.filter((f) => f.ruleId === "mcp-unpinned-server").map((f) => f.message);
    expect(unpinned(before)).toEqual([
      'server "loose" runs npx @modelcontextprotocol/server-memory without a pinned version',
    ]);
    expect(unpinned(after)).toEqual(unpinned(before));
  });
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
