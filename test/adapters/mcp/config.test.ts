// The policy's mcp: section, neverAllowed(), names and cursors, and identity resolution.
import { describe, expect, it } from "vitest";
import { expandVars } from "../../../src/adapters/mcp/expand.js";
import { resolveIdentity } from "../../../src/adapters/mcp/index.js";
import { decodeCursor, encodeCursor, exposedName, splitName } from "../../../src/adapters/mcp/names.js";
import { checkPolicyText, parsePolicy } from "../../../src/policy/index.js";

describe("policy mcp: section", () => {
  it("compiles servers, poisoning, identity and limits with defaults", () => {
    const policy = parsePolicy(
      `mcp:
  servers:
    github: { command: [npx, -y, "@modelcontextprotocol/server-github@1.0.0"], env: { GITHUB_TOKEN: x } }
    files: { url: "http://127.0.0.1:9000/mcp", headers: { authorization: "Bearer y" } }
  poisoning: warn
  identity: { agent: ide, intent: coding }
  timeouts: { request: 30s }
  allowedOrigins: ["https://agents.example.com"]
`,
      "p.yaml",
    );
    expect(policy.mcp).toMatchObject({
      servers: [
        {
          name: "github",
          command: ["npx", "-y", "@modelcontextprotocol/server-github@1.0.0"],
          env: { GITHUB_TOKEN: "x" },
          url: null,
        },
        {
          name: "files",
          command: null,
          url: "http://127.0.0.1:9000/mcp",
          headers: { authorization: "Bearer y" },
        },
      ],
      poisoning: "warn",
      identity: { agent: "ide", onBehalfOf: null, intent: "coding" },
      requestTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      allowedOrigins: ["https://agents.example.com"],
    });
    expect(parsePolicy("{}", "p").mcp).toBeNull();
  });

  it("reports bad entries with their location", () => {
    const issues = checkPolicyText(
      "mcp:\n  servers:\n    a__b: { command: [x] }\n    both: { command: [x], url: 'http://h' }\n  poisoning: maybe\n  colour: red\n  allowedOrigins: ['https://a.example/path']\n",
      "p.yaml",
    );
    expect(issues.map((i) => i.path.join("."))).toEqual(
      expect.arrayContaining([
        "mcp.servers.a__b",
        "mcp.servers.both",
        "mcp.poisoning",
        "mcp.colour",
        "mcp.allowedOrigins.0",
      ]),
    );
  });
});

describe("policy mcp.listen: section", () => {
  it("compiles --listen's connection limits and per-token budgets, the keys of server:", () => {
    const policy = parsePolicy(
      "mcp:\n  listen:\n    maxConnections: 64\n    requestTimeout: 30s\n    perToken: { maxInFlight: 4, byteBurst: 8388608 }\n",
      "p.yaml",
    );
    expect(policy.mcp?.listen).toEqual({
      connections: { maxConnections: 64, requestTimeoutMs: 30_000 },
      tokenLimits: { maxInFlight: 4, byteBurst: 8_388_608 },
    });
    expect(parsePolicy("mcp: {}", "p").mcp?.listen).toEqual({ connections: {}, tokenLimits: {} });
  });

  it("refuses unknown keys, out-of-range values and a byte burst below the largest message, each located", () => {
    const issues = checkPolicyText(
      "mcp:\n  listen:\n    maxConnections: -1\n    host: 0.0.0.0\n    perToken: { maxInFlight: 0 }\n",
      "p.yaml",
    );
    expect(issues.map((i) => [i.path.join("."), `${i.line}:${i.column}`])).toEqual([
      ["mcp.listen.maxConnections", "3:21"],
      ["mcp.listen.host", "4:5"],
      ["mcp.listen.perToken.maxInFlight", "5:30"],
    ]);
    // A message larger than the burst could never pass: the default 4 MiB, or mcp.maxMessageBytes.
    const burst = checkPolicyText("mcp:\n  listen:\n    perToken: { byteBurst: 2097152 }\n", "p.yaml");
    expect(burst.map((i) => [i.path.join("."), `${i.line}:${i.column}`])).toEqual([
      ["mcp.listen.perToken.byteBurst", "3:28"],
    ]);
    expect(burst[0]?.message).toContain("at least mcp.maxMessageBytes (4194304)");
    const smaller = "mcp:\n  maxMessageBytes: 1048576\n  listen:\n    perToken: { byteBurst: 2097152 }\n";
    expect(checkPolicyText(smaller, "p.yaml")).toEqual([]);
  });
});

describe("neverAllowed", () => {
  const policy = parsePolicy(
    JSON.stringify({
      default: "deny",
      agents: { bot: { team: "t", developer: "d", tools: ["fs__*", "echo", "mail"] } },
      rules: [
        { id: "read", tools: ["fs__read*", "echo"], decision: "allow" },
        { id: "no-write", tool: "fs__write", decision: "deny" },
        { id: "mail-ask", tool: "mail", decision: "ask", when: "args.to != ''" },
        { id: "echo-cond", tool: "echo", decision: "deny", when: "args.x == 1" },
      ],
    }),
    "p",
  );
  it("is true outside the job, under an unconditional deny, or with nothing that could allow under a deny default", () => {
    expect(policy.neverAllowed("bot", "shell")).toBe(true);
    expect(policy.neverAllowed("stranger", "echo")).toBe(true);
    expect(policy.neverAllowed("bot", "fs__write")).toBe(true);
    expect(policy.neverAllowed("bot", "fs__delete")).toBe(true);
  });
  it("is false when some call could be allowed or asked", () => {
    expect(policy.neverAllowed("bot", "fs__read_file")).toBe(false);
    expect(policy.neverAllowed("bot", "echo")).toBe(false);
    expect(policy.neverAllowed("bot", "mail")).toBe(false);
    expect(parsePolicy('{"default":"allow"}', "p").neverAllowed("x", "y")).toBe(false);
  });
});

describe("names and cursors", () => {
  it("prefixes with several upstreams and splits at the first __", () => {
    expect(exposedName("gh", "create_issue", true)).toBe("gh__create_issue");
    expect(exposedName("gh", "create_issue", false)).toBe("create_issue");
    expect(splitName("gh__a__b", ["gh", "fs"])).toEqual({ server: "gh", name: "a__b" });
    expect(splitName("x__a", ["gh", "fs"])).toBeNull();
    expect(splitName("anything", ["only"])).toEqual({ server: "only", name: "anything" });
  });
  it("passes one upstream's cursor through and wraps several", () => {
    expect(encodeCursor({ index: 0, cursor: "abc" }, 1)).toBe("abc");
    expect(decodeCursor("abc", 1)).toEqual({ index: 0, cursor: "abc" });
    const wrapped = encodeCursor({ index: 1, cursor: "next" }, 3);
    expect(decodeCursor(wrapped, 3)).toEqual({ index: 1, cursor: "next" });
    expect(decodeCursor(wrapped, 1)).toEqual({ index: 0, cursor: wrapped });
    expect(decodeCursor("forged", 3)).toBeNull();
    expect(decodeCursor(encodeCursor({ index: 2, cursor: undefined }, 3), 2)).toBeNull();
  });
});

describe("identity", () => {
  const defaults = { agent: "cfg-agent", onBehalfOf: "cfg-user", intent: "cfg-intent" };
  it("takes the agent from the token over everything, and headers over _meta over config", () => {
    expect(
      resolveIdentity(defaults, {
        tokenAgent: "tok-agent",
        headers: { "x-warden-agent": "nope", "x-warden-on-behalf-of": "hdr-user" },
        meta: { "warden/onBehalfOf": "meta-user", "warden/intent": "meta-intent" },
      }),
    ).toEqual({ agent: "tok-agent", onBehalfOf: "hdr-user", intent: "meta-intent" });
    expect(resolveIdentity(defaults, {})).toEqual({
      agent: "cfg-agent",
      onBehalfOf: "cfg-user",
      intent: "cfg-intent",
    });
    expect(
      resolveIdentity(defaults, { mayNameAgent: true, headers: { "x-warden-agent": "named" } }).agent,
    ).toBe("named");
    expect(resolveIdentity({ agent: null, onBehalfOf: null, intent: null }, {}).agent).toBe("mcp-client");
  });
});

describe("references in mcp.servers", () => {
  const ref = (inner: string) => `\${${inner}}`;

  it("refuses at load what no environment can expand: VS Code inputs, client variables, malformed ones", () => {
    const issues = checkPolicyText(
      `mcp:
  servers:
    a: { command: node, args: ["s.js", "${ref("workspaceFolder")}/x"], env: { KEY: "${ref("input:api-key")}" } }
    b: { url: "https://h/mcp", headers: { authorization: "Bearer ${ref("TOKEN-1")}" } }
    ok: { command: node, env: { A: "${ref("A")}", B: "${ref("env:B")}", C: "${ref("C:-x")}" } }
`,
      "p.yaml",
    );
    expect(issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["mcp.servers.a.args.1", expect.stringContaining("variable of the MCP client")],
      ["mcp.servers.a.env.KEY", expect.stringContaining("VS Code input")],
      ["mcp.servers.b.headers.authorization", expect.stringContaining("not a variable reference")],
    ]);
  });

  it("expandVars expands VAR, env:VAR and VAR:-default, and refuses the rest with MCP_CONFIG_INVALID", () => {
    const env = { A: "1", B: "2" };
    expect(expandVars(`${ref("A")}-${ref("env:B")}-${ref("C:-3")}`, env, "w")).toBe("1-2-3");
    for (const text of [ref("input:k"), ref("userHome"), ref("/"), ref("C")]) {
      let code: string | undefined;
      try {
        expandVars(text, env, "w");
      } catch (err) {
        code = (err as { code?: string }).code;
      }
      expect(code, text).toBe("MCP_CONFIG_INVALID");
    }
  });
});
