// MCP client configs: launch commands, inline secrets, the three config formats, and --probe.

import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../../src/scan/index.js";
import { checkMcpConfig } from "../../src/scan/mcp/config-rules.js";
import { launchedPackage } from "../../src/scan/mcp/launch.js";
import { formatJson } from "../../src/scan/report/json.js";
import { formatSarif } from "../../src/scan/report/sarif.js";
import { formatText } from "../../src/scan/report/text.js";
import { cleanupProjects, fakeGithubToken, project } from "./helpers.js";

afterAll(cleanupProjects);

describe("launchedPackage", () => {
  it.each([
    ["npx", ["-y", "@modelcontextprotocol/server-github"], false],
    ["npx", ["-y", "@modelcontextprotocol/server-github@2025.4.8"], true],
    ["npx", ["server@latest"], false],
    ["npx", ["server@^1.0.0"], false],
    ["npx", ["--package", "srv@1.0.0", "srv-bin"], true],
    ["npx.cmd", ["-y", "srv"], false],
    ["pnpm", ["dlx", "srv@1.2.3"], true],
    ["bunx", ["srv"], false],
    ["uvx", ["mcp-server-fetch"], false],
    ["uvx", ["mcp-server-fetch==2025.4.7"], true],
    ["uvx", ["--from", "git+https://github.com/x/y", "y"], false],
    ["docker", ["run", "-i", "--rm", "-e", "TOKEN", "ghcr.io/github/github-mcp-server"], false],
    ["docker", ["run", "-i", "ghcr.io/github/github-mcp-server:latest"], false],
    ["docker", ["run", "-i", "ghcr.io/github/github-mcp-server@sha256:abcd"], true],
    ["docker", ["run", "--memory", "512m", "--pull", "always", "ghcr.io/x/srv:1.2.3"], true],
    ["uvx", ["mcp-server-fetch@latest"], false],
    ["uvx", ["mcp-server-fetch@2025.4.7"], true],
    // Wrappers do not hide what they launch.
    ["cmd", ["/c", "npx", "-y", "srv"], false],
    ["cmd.exe", ["/C", "npx", "-y", "srv@1.0.0"], true],
    ["sh", ["-c", "npx -y srv"], false],
    ["bash", ["-lc", "FOO=1 exec npx --yes 'srv' && echo done"], false],
    ["bash", ["-lc", "uvx srv==1.0.0; echo"], true],
    ["env", ["API_URL=http://x", "-u", "HOME", "npx", "srv"], false],
    ["env", ["npx", "srv@2.0.0"], true],
    ["env", ["-i", "FOO=1", "sh", "-c", "docker run -i --rm ghcr.io/x/srv"], false],
  ])("%s %j pinned=%s", (cmd, args, pinned) => {
    expect(launchedPackage(cmd, args)?.pinned).toBe(pinned);
  });

  it("reads a whole command line written in command, with no args", () => {
    expect(launchedPackage("npx -y some-server", [])).toMatchObject({ spec: "some-server", pinned: false });
    expect(launchedPackage(" uvx  mcp-server-fetch==1.0.0 ", [])?.pinned).toBe(true);
    expect(launchedPackage("C:\\Program Files\\nodejs\\node.exe", [])).toBeUndefined();
  });

  it("ignores local programs", () => {
    expect(launchedPackage("node", ["server.js"])).toBeUndefined();
    expect(launchedPackage("sh", ["-c", "./run-server.sh --port 1"])).toBeUndefined();
    expect(launchedPackage("cmd", ["/c", "node", "server.js"])).toBeUndefined();
    expect(launchedPackage("/usr/local/bin/srv", [])).toBeUndefined();
    expect(launchedPackage("npx", ["./local-server"])).toBeUndefined();
  });
});

const secrets = async (server: object) => {
  const r = await checkMcpConfig(".mcp.json", JSON.stringify({ mcpServers: { s: server } }));
  return r.findings.filter((f) => f.ruleId === "mcp-inline-secret").map((f) => f.message);
};

/** A `${NAME}` reference as a config holds it. */
const ref = (name: string) => `\${${name}}`;

describe("mcp-inline-secret", () => {
  it.each([
    [{ command: "node", env: { API_KEY: "sk-live-0123456789abcdef" } }, "env.API_KEY"],
    [{ command: "node", env: { SOMETHING: fakeGithubToken() } }, "env.SOMETHING"],
    [{ command: "node", env: { DB_PASSWORD: "hunter2xyz" } }, "env.DB_PASSWORD"],
    [{ command: "node", env: { githubToken: "abcdef0123456789" } }, "env.githubToken"],
    [{ command: "node", env: { OAUTH: "ya29.abcdefghijklmnop" } }, "env.OAUTH"],
    [
      { command: "node", env: { DATABASE_URL: ["postgres://app", "hunter2xyz@db/app"].join(":") } },
      "env.DATABASE_URL",
    ],
    [{ command: "node", args: ["--api-key=abcdef0123456789"] }, "args[0]"],
    [{ command: "node", args: ["--token", "abcdef0123456789"] }, "args[1]"],
    [{ command: "node", args: [fakeGithubToken()] }, "args[0]"],
    [{ url: "https://mcp.example.com/sse?api_key=abcdef0123456789" }, "url"],
    [
      { type: "http", url: "https://mcp.example.com", headers: { Authorization: "Bearer abcdef0123456789" } },
      "headers.Authorization",
    ],
  ])("flags %j", async (server, where) => {
    expect((await secrets(server))[0]).toContain(where);
  });

  it.each([
    [{ command: "node", env: { API_KEY: ref("env:API_KEY") } }],
    [{ command: "node", env: { GITHUB_TOKEN: ref("input:gh") } }],
    [{ command: "node", env: { TOKEN: "$TOKEN" } }],
    [{ command: "node", env: { AUTH_ENABLED: "true", LOG_LEVEL: "debug" } }],
    // Names that only look like credentials, word by word.
    [{ command: "node", env: { AUTHOR_NAME: "Jane Doe Smith", TOKENIZER: "cl100k_base_tokenizer" } }],
    [{ command: "node", env: { KEYBOARD_LAYOUT: "us-international", SESSION_TIMEOUT: "3600000" } }],
    [{ command: "node", env: { PASSWORD_MIN_LENGTH: "12", TOKEN_FILE: "/run/secrets/github" } }],
    [{ command: "node", env: { OAUTH_CALLBACK_URL: "https://app.example.com/oauth/callback" } }],
    [{ command: "node", args: ["--token", ref("env:TOKEN")] }],
    [
      {
        type: "http",
        url: "https://mcp.example.com",
        headers: { Authorization: `Bearer ${ref("input:token")}` },
      },
    ],
  ])("does not flag %j", async (server) => {
    expect(await secrets(server)).toEqual([]);
  });
});

describe("mcp-insecure-transport", () => {
  const transport = async (config: object, rel = ".mcp.json") =>
    (await checkMcpConfig(rel, JSON.stringify(config))).findings
      .filter((f) => f.ruleId === "mcp-insecure-transport")
      .map((f) => f.message);
  const server = (url: string) => ({ mcpServers: { s: { type: "http", url } } });

  it.each([
    ["http://mcp.example.com/mcp", "http:// at mcp.example.com"],
    ["HTTP://MCP.Example.com:8080/sse", "http:// at MCP.Example.com"],
    ["http://10.0.4.12:3000/mcp", "http:// at 10.0.4.12"],
    ["http://user:pw@[2001:db8::1]:80/mcp", "http:// at [2001:db8::1]"],
    ["ws://mcp.example.com/ws", "ws:// at mcp.example.com"],
    ["http://0.0.0.0:3000/mcp", "http:// at 0.0.0.0"],
    ["http://127.0.0.1.nip.io/mcp", "http:// at 127.0.0.1.nip.io"],
    ["http://localhost.example.com/mcp", "http:// at localhost.example.com"],
    [`http://${ref("env:MCP_HOST")}:8080/mcp`, `http:// at ${ref("env:MCP_HOST")}`],
  ])("flags %s", async (url, what) => {
    const [msg, ...rest] = await transport(server(url));
    expect(rest).toEqual([]);
    expect(msg).toContain(what);
    expect(msg).not.toContain("pw");
  });

  it.each([
    ["https://mcp.example.com/mcp"],
    ["wss://mcp.example.com/ws"],
    ["http://localhost:3000/mcp"],
    ["http://LOCALHOST/mcp"],
    ["http://127.0.0.1:8080/sse"],
    ["http://127.45.2.9/mcp"],
    ["http://127.1/mcp"],
    ["http://[::1]:3000/mcp"],
    ["http://[::ffff:127.0.0.1]/mcp"],
    [`http://localhost:${ref("env:PORT")}/mcp`],
  ])("does not flag %s", async (url) => {
    expect(await transport(server(url))).toEqual([]);
  });

  it("sees the URL behind a wrapped or bridged entry: warden mcp --url, mcp-remote", async () => {
    const stdio = (command: string, args: string[]) => ({ mcpServers: { s: { command, args } } });
    const wrapped = ["-y", "agent-warden@0.1.0", "mcp", "--policy", "p.yaml", "--name", "s"];
    for (const config of [
      stdio("npx", [...wrapped, "--url", "http://mcp.example.com/mcp", "--transport", "http"]),
      stdio("npx", [...wrapped, "--url=http://mcp.example.com/mcp"]),
      stdio("warden", ["mcp", "--url", "http://mcp.example.com/mcp"]),
      stdio("npx", ["-y", "mcp-remote@0.1.29", "http://mcp.example.com/mcp", "--header", "x:y"]),
      stdio("/usr/local/bin/mcp-remote", ["http://mcp.example.com/mcp"]),
    ]) {
      expect(await transport(config), JSON.stringify(config)).toEqual([
        expect.stringContaining("http:// at mcp.example.com"),
      ]);
    }
    for (const config of [
      stdio("npx", [...wrapped, "--url", "https://mcp.example.com/mcp"]),
      stdio("npx", [...wrapped, "--url", "http://127.0.0.1:9000/mcp"]),
      stdio("npx", ["-y", "mcp-remote@0.1.29", "https://mcp.example.com/mcp"]),
      // After `--` is the server the gateway runs, whose own arguments are not the gateway's.
      stdio("npx", [...wrapped, "--", "node", "server.js", "--url", "http://mcp.example.com/mcp"]),
      stdio("node", ["server.js", "--url", "http://mcp.example.com/mcp"]),
    ]) {
      expect(await transport(config), JSON.stringify(config)).toEqual([]);
    }
  });

  it("reads VS Code's servers and the serverUrl spelling, at the server's line", async () => {
    const vscode =
      '{\n  "servers": {\n    "remote": { "type": "sse", "url": "http://mcp.example.com/sse", },\n  },\n}\n';
    const r = await checkMcpConfig(".vscode/mcp.json", vscode);
    expect(r.findings.map((f) => `${f.ruleId}:${f.line}:${f.package}`)).toEqual([
      "mcp-insecure-transport:3:remote",
    ]);
    expect(await transport({ mcpServers: { w: { serverUrl: "http://mcp.example.com/mcp" } } })).toHaveLength(
      1,
    );
  });

  it("is in the SARIF log as an error with its rule", async () => {
    const root = await project({ ".mcp.json": JSON.stringify(server("http://mcp.example.com/mcp")) });
    const report = await scan({ root });
    expect(report.findings.map((f) => [f.ruleId, f.severity])).toEqual([["mcp-insecure-transport", "high"]]);
    const run = JSON.parse(formatSarif(report, "0.0.0")).runs[0];
    expect(run.results[0]).toMatchObject({ ruleId: "mcp-insecure-transport", level: "error" });
    const rule = run.tool.driver.rules[run.results[0].ruleIndex];
    expect(rule).toMatchObject({ id: "mcp-insecure-transport", properties: { "security-severity": "8.0" } });
  });
});

describe("reports of inline secrets", () => {
  it("list each server's launch line without the secrets flagged in it, in text, JSON and SARIF", async () => {
    const token = fakeGithubToken();
    const key = "abcdef0123456789abcd";
    const root = await project({
      ".mcp.json": JSON.stringify({
        mcpServers: {
          a: { command: "node", args: ["server.js", `--api-key=${key}`, "--token", token, "--port", "8080"] },
          b: { type: "http", url: `https://bob:${key}@mcp.example.com/sse?api_key=${key}&mode=x` },
        },
      }),
    });
    const report = await scan({ root });
    expect(report.findings.filter((f) => f.ruleId === "mcp-inline-secret")).toHaveLength(2);
    expect(
      report.mcpServers.map((s) => (s.command ? [s.command, ...(s.args ?? [])].join(" ") : s.url)),
    ).toEqual([
      "node server.js --api-key=[redacted] --token [redacted] --port 8080",
      "https://bob:[redacted]@mcp.example.com/sse?api_key=[redacted]&mode=x",
    ]);
    for (const out of [formatText(report), formatJson(report), formatSarif(report, "0.0.0")]) {
      expect(out).not.toContain(token);
      expect(out).not.toContain(key);
    }
  });
});

describe("config formats", () => {
  it("reads Claude Desktop, Cursor, VS Code (JSONC) and .mcp.json files", async () => {
    const npx = { command: "npx", args: ["-y", "srv"] };
    const root = await project({
      "claude_desktop_config.json": JSON.stringify({ mcpServers: { a: npx } }),
      ".cursor/mcp.json": JSON.stringify({ mcpServers: { b: npx } }),
      ".vscode/mcp.json": `{\n  // comment\n  "servers": { "c": { "type": "stdio", "command": "npx", "args": ["srv"], }, },\n}\n`,
      "sub/.mcp.json": JSON.stringify({ mcpServers: { d: npx } }),
    });
    const report = await scan({ root });
    expect(report.findings.map((f) => `${f.file}:${f.line}:${f.package}`)).toEqual([
      ".cursor/mcp.json:1:b",
      ".vscode/mcp.json:3:c",
      "claude_desktop_config.json:1:a",
      "sub/.mcp.json:1:d",
    ]);
  });

  it("checks the servers a Warden policy launches (mcp.servers), in both entry forms, at their lines", async () => {
    const policy = [
      "default: allow",
      "rules:",
      "  - { id: github, tool: 'github__*', decision: ask }",
      "mcp:",
      "  servers:",
      "    github: # the gateway's own form: the whole argv",
      "      command: [npx, -y, '@modelcontextprotocol/server-github']",
      `      env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${ref("GITHUB_TOKEN")}' }`,
      "    fetch: # pasted from a client's config",
      "      command: uvx",
      "      args: [mcp-server-fetch==2025.4.7]",
      `      env: { FETCH_API_KEY: ${fakeGithubToken()} }`,
      "    pinned:",
      "      command: [npx, -y, 'srv@1.0.0']",
      "",
    ].join("\n");
    const root = await project({ ".warden/policy.yaml": policy });
    const report = await scan({ root });
    const mcp = report.findings.filter((f) => f.ruleId.startsWith("mcp-"));
    expect(mcp.map((f) => `${f.ruleId}:${f.line}:${f.column}:${f.package}`)).toEqual([
      "mcp-unpinned-server:6:5:github",
      "mcp-inline-secret:9:5:fetch",
    ]);
    expect(report.mcpServers.map((s) => [s.name, s.command, s.args])).toEqual([
      ["github", "npx", ["-y", "@modelcontextprotocol/server-github"]],
      ["fetch", "uvx", ["mcp-server-fetch==2025.4.7"]],
      ["pinned", "npx", ["-y", "srv@1.0.0"]],
    ]);
    // Still a config file the secrets rules read.
    expect(report.findings.some((f) => f.ruleId !== "mcp-inline-secret" && f.line === 12)).toBe(true);
    const broken = await project({ ".warden/policy.yaml": "mcp:\n  servers: [\n" });
    expect((await scan({ root: broken })).errors[0]).toMatchObject({
      file: ".warden/policy.yaml",
      kind: "parse",
    });
  });

  it("reports a config that is not JSON as a parse error with its line", async () => {
    const root = await project({ ".cursor/mcp.json": '{\n  "mcpServers": {\n    "a": [\n}\n' });
    const report = await scan({ root });
    expect(report.errors[0]).toMatchObject({ file: ".cursor/mcp.json", kind: "parse", line: 4 });
  });
});

describe("--probe", () => {
  it("reports a server that exits as mcp-probe-failed, and a slow one as a timeout", async () => {
    const root = await project({
      ".mcp.json": JSON.stringify({
        mcpServers: { slow: { command: "node", args: ["-e", "setTimeout(() => {}, 60000)"] } },
      }),
    });
    const report = await scan({ root, probe: true, probeTimeoutMs: 1_000 });
    expect(report.findings.map((f) => f.ruleId)).toEqual(["mcp-probe-failed"]);
    expect(report.mcpServers[0]?.probeError).toMatch(/timed out/);
  });
});
