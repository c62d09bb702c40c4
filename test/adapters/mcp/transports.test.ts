// The real downstream transports: `warden mcp` over stdio (the built CLI), and Streamable HTTP with bearer tokens.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { SqliteStore } from "../../../src/ledger/index.js";
import { createToken } from "../../../src/server/index.js";
import { openWarden, rawRequest, tempDir } from "../../helpers.js";
import {
  CLI,
  codeOf,
  connectClient,
  connectInMemory,
  EVERYTHING,
  eventually,
  gatewayFor,
  records,
  stdioServer,
  textOf,
} from "./helpers.js";

const POLICY = { default: "allow", rules: [{ id: "no-env", tool: "get-env", decision: "deny" }] };

describe("warden mcp over stdio (the CLI)", () => {
  it("fronts server-everything: list, call, deny, sampling; identity from flags; records in the ledger file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "policy.yaml"), JSON.stringify(POLICY));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        CLI,
        "mcp",
        "--dir",
        dir,
        "--init",
        "--agent",
        "ide-agent",
        "--on-behalf-of",
        "dana@example.com",
        "--intent",
        "fix bug 42",
        "--",
        process.execPath,
        EVERYTHING,
      ],
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = await connectClient(transport, { capabilities: { sampling: {} } });
    // --init made the ledger and its key, and said so on stderr (stdout is the MCP channel).
    await eventually(async () => stderr.includes(`warden mcp: created ${join(dir, "ledger.key")}`));
    expect(stderr).toContain(`warden mcp: created ${join(dir, "ledger.db")}`);
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: "m",
      role: "assistant",
      content: { type: "text", text: "42" },
    }));
    expect(client.getServerVersion()?.name).toContain("everything");
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names).not.toContain("get-env");
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "via stdio" } }))).toBe(
      "Echo: via stdio",
    );
    expect(codeOf(await client.callTool({ name: "get-env", arguments: {} }))).toBe("TOOL_DENIED");
    await eventually(async () =>
      (await client.listTools()).tools.some((t) => t.name === "trigger-sampling-request"),
    );
    expect(
      textOf(
        await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "q", maxTokens: 5 } }),
      ),
    ).toContain("42");
    await client.close();

    const store = await SqliteStore.open(join(dir, "ledger.db"));
    try {
      const ended = await eventually(async () => (await store.query({ kinds: ["session.end"] }))[0]);
      expect(ended.agent).toBe("ide-agent");
      const start = (await store.query({ kinds: ["session.start"] }))[0];
      expect(start?.data).toMatchObject({ onBehalfOf: "dana@example.com", intent: "fix bug 42" });
      const tools = (await store.query({ kinds: ["call.intent"] })).map((r) => r.data.tool);
      expect(tools).toEqual(["echo", "get-env", "trigger-sampling-request"]);
    } finally {
      await store.close();
    }
  });
});

describe("examples/mcp", () => {
  it("runs as its README says: server-filesystem behind the example policy", async () => {
    const dir = tempDir();
    const root = new URL("../../../", import.meta.url).pathname;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "mcp", "--dir", dir, "--policy", "examples/mcp/policy.yaml", "--init"],
      cwd: root,
      stderr: "ignore",
    });
    const client = await connectClient(transport);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("read_text_file");
    expect(names).not.toContain("move_file");
    const read = await client.callTool({
      name: "read_text_file",
      arguments: { path: `${root}examples/mcp/data/welcome.md` },
    });
    expect(textOf(read)).toContain("notes bot");
    expect(
      codeOf(
        await client.callTool({
          name: "write_file",
          arguments: { path: `${root}examples/mcp/data/run.sh`, content: "x" },
        }),
      ),
    ).toBe("TOOL_DENIED");
    await client.close();
  });
});

/** An initialize request as a raw HTTP body. */
const INIT_BODY = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
});

describe("warden mcp over Streamable HTTP", () => {
  async function setup() {
    const { warden } = await openWarden({
      ...POLICY,
      mcp: { allowedOrigins: ["https://agents.example.com"] },
      agents: {
        "ide-agent": { team: "dev", developer: "dana@example.com", tools: ["echo", "get-sum", "trigger-*"] },
      },
    });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("everything", EVERYTHING)] });
    const listener = await gateway.listen({ port: 0 });
    const agent = await createToken(warden.ledger.store, { role: "agent", agent: "ide-agent" });
    const auditor = await createToken(warden.ledger.store, { role: "auditor" });
    return { warden, gateway, url: new URL(listener.url), agent: agent.token, auditor: auditor.token };
  }
  const http = (url: URL, token: string, headers: Record<string, string> = {}) =>
    new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } },
    });

  it("takes the agent from the token, user and intent from headers; the job description hides other tools", async () => {
    const { warden, url, agent } = await setup();
    const client = await connectClient(
      http(url, agent, { "x-warden-on-behalf-of": "erin@example.com", "x-warden-intent": "summarise" }),
      {
        capabilities: { sampling: {} },
      },
    );
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: "m",
      role: "assistant",
      content: { type: "text", text: "over http" },
    }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names).not.toContain("get-env");
    expect(names).not.toContain("get-tiny-image");
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "web" } }))).toBe("Echo: web");
    expect(codeOf(await client.callTool({ name: "get-tiny-image", arguments: {} }))).toBe("TOOL_DENIED");
    await eventually(async () =>
      (await client.listTools()).tools.some((t) => t.name === "trigger-sampling-request"),
    );
    expect(
      textOf(
        await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "q", maxTokens: 5 } }),
      ),
    ).toContain("over http");
    const session = (await records(warden, "session.start"))[0];
    expect(session?.agent).toBe("ide-agent");
    expect(session?.data).toMatchObject({ onBehalfOf: "erin@example.com", intent: "summarise" });
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    const end = await eventually(async () => (await records(warden, "session.end"))[0]);
    expect(end.data.reason).toBe("client disconnected");
    await client.close();
  });

  it("reaches a Streamable HTTP upstream (a second gateway in front of the first)", async () => {
    const { url, agent } = await setup();
    const { warden: outer } = await openWarden({
      default: "allow",
      rules: [{ id: "outer", tool: "get-sum", decision: "deny" }],
    });
    const front = await gatewayFor(outer, {
      servers: [
        {
          name: "inner",
          command: null,
          env: {},
          cwd: null,
          url: url.href,
          headers: { authorization: `Bearer ${agent}` },
          sandbox: null,
        },
      ],
    });
    const client = await connectInMemory(front);
    expect(textOf(await client.callTool({ name: "echo", arguments: { message: "two hops" } }))).toBe(
      "Echo: two hops",
    );
    expect(codeOf(await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } }))).toBe("TOOL_DENIED");
    const outerIntents = (await records(outer, "call.intent")).map((r) => r.data.tool);
    expect(outerIntents).toEqual(["echo", "get-sum"]);
  });

  it("refuses requests without a valid agent or admin token, unknown sessions, and oversized bodies", async () => {
    const { url, agent, auditor } = await setup();
    const post = (headers: Record<string, string>, body = INIT_BODY) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body,
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer wdn_nope" })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${auditor}` })).status).toBe(403);
    expect(
      (await post({ authorization: `Bearer ${agent}`, "mcp-session-id": "no-such-session" })).status,
    ).toBe(404);
    const big = await post(
      { authorization: `Bearer ${agent}` },
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(5 * 1024 * 1024) } }),
    );
    expect(big.status).toBe(413);
    const bad = await post({ authorization: `Bearer ${agent}` }, "{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });

  it("refuses a browser origin it does not know and a host name rebound to it (DNS rebinding)", async () => {
    const { warden, url, agent } = await setup();
    const post = (headers: Record<string, string>) =>
      rawRequest(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${agent}`,
          ...headers,
        },
        body: INIT_BODY,
      });
    const sessionsBefore = (await records(warden, "session.start")).length;
    const evil = await post({ origin: "http://evil.example" });
    expect(evil.status).toBe(403);
    expect(evil.body).toContain("origin http://evil.example not allowed");
    expect((await post({ origin: "null" })).status).toBe(403);
    expect((await post({ host: `evil.example:${url.port}` })).status).toBe(403);
    expect((await records(warden, "session.start")).length).toBe(sessionsBefore);
    // The policy's allowed origin and local pages pass, as does a client that sends no Origin.
    expect((await post({ origin: "https://agents.example.com" })).status).toBe(200);
    expect((await post({ origin: "http://localhost:6274" })).status).toBe(200);
    expect((await post({ host: `localhost:${url.port}` })).status).toBe(200);
  });

  it("holds each token to mcp.maxSessionsPerToken open sessions, freed by DELETE", async () => {
    const { warden } = await openWarden({ ...POLICY, mcp: { maxSessionsPerToken: 2 } });
    const gateway = await gatewayFor(warden, { servers: [stdioServer("everything", EVERYTHING)] });
    const url = new URL((await gateway.listen({ port: 0 })).url);
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: "ide-agent" });
    const other = await createToken(warden.ledger.store, { role: "agent", agent: "ide-agent" });
    const first = http(url, token);
    await connectClient(first);
    await connectClient(http(url, token));
    await expect(connectClient(http(url, token))).rejects.toThrow(/429|maxSessionsPerToken/);
    // Another token has its own allowance.
    await connectClient(http(url, other.token));
    await first.terminateSession();
    // The slot comes back once that session is wholly gone, its upstream server stopped.
    const third = await eventually(() => connectClient(http(url, token)).catch(() => undefined));
    expect(textOf(await third.callTool({ name: "echo", arguments: { message: "hi" } }))).toContain("hi");
  });
});
