// The policy's `server:` section: connection limits and per-token budgets of the decision service.
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/index.js";
import { connectionChanges, DEFAULT_CONNECTION_LIMITS } from "../../src/server/index.js";
import { issuesOf, where } from "../policy/helpers.js";

describe("policy server: section", () => {
  it("compiles the keys it sets, in milliseconds, and leaves the others to the defaults", () => {
    const policy = parsePolicy(
      `server:
  maxConnections: 100
  headersTimeout: 5s
  requestTimeout: 2m
  perToken:
    requestsPerSecond: 50
    requestBurst: 100
    bytesPerSecond: 65536
    byteBurst: 2097152
    maxInFlight: 8
`,
      "p.yaml",
    );
    expect(policy.server).toEqual({
      connections: { maxConnections: 100, headersTimeoutMs: 5_000, requestTimeoutMs: 120_000 },
      tokenLimits: {
        requestsPerSecond: 50,
        requestBurst: 100,
        bytesPerSecond: 65_536,
        byteBurst: 2_097_152,
        maxInFlight: 8,
      },
    });
    expect(parsePolicy("server: { perToken: { maxInFlight: 4 } }", "p").server).toEqual({
      connections: {},
      tokenLimits: { maxInFlight: 4 },
    });
    expect(parsePolicy("{}", "p").server).toEqual({ connections: {}, tokenLimits: {} });
  });

  it("refuses out-of-range values and unknown keys, each where it is written", () => {
    const issues = issuesOf(
      `server:
  maxConnections: 0
  headersTimeout: 10ms
  requestTimeout: soon
  port: 8787
  perToken:
    requestsPerSecond: 2000000
    maxInFlight: 1.5
    burst: 10
`,
    );
    expect(issues.map((i) => i.path.join("."))).toEqual([
      "server.maxConnections",
      "server.headersTimeout",
      "server.requestTimeout",
      "server.port",
      "server.perToken.requestsPerSecond",
      "server.perToken.maxInFlight",
      "server.perToken.burst",
    ]);
    expect(where(issues)).toEqual(["2:19", "3:19", "4:19", "5:3", "7:24", "8:18", "9:5"]);
    expect(issues[0]?.message).toContain("a whole number from 1 to 1000000");
    expect(issues[1]?.message).toContain("between 1s and 10m");
    expect(issues[2]?.message).toContain('bad duration "soon"');
    expect(issues[5]?.message).toContain("a whole number from 1 to 100000");
  });

  it("refuses a request timeout shorter than the headers timeout, given or by default", () => {
    const both = issuesOf("server:\n  headersTimeout: 30s\n  requestTimeout: 20s\n");
    expect(both.map((i) => i.path.join("."))).toEqual(["server.requestTimeout"]);
    expect(where(both)).toEqual(["3:19"]);
    expect(both[0]?.message).toMatch(/requestTimeout \(20s\) must be at least headersTimeout \(30s\)/);
    // The request timeout left at its 60s: the headers timeout is the one to change.
    const one = issuesOf("server:\n  headersTimeout: 2m\n");
    expect(one.map((i) => i.path.join("."))).toEqual(["server.headersTimeout"]);
    expect(where(one)).toEqual(["2:19"]);
  });

  it("refuses a byte burst no largest body (1 MiB) fits in", () => {
    const issues = issuesOf("server:\n  perToken: { byteBurst: 65536 }\n");
    expect(issues.map((i) => i.path.join("."))).toEqual(["server.perToken.byteBurst"]);
    expect(issues[0]?.message).toContain("at least 1048576");
    expect(parsePolicy("server:\n  perToken: { byteBurst: 1048576 }\n", "p").server.tokenLimits).toEqual({
      byteBurst: 1_048_576,
    });
  });
});

describe("connectionChanges", () => {
  it("names, in the policy's words, the settings a running listener keeps until a restart", () => {
    expect(connectionChanges("server", DEFAULT_CONNECTION_LIMITS, {})).toEqual([]);
    expect(
      connectionChanges("server", DEFAULT_CONNECTION_LIMITS, {
        maxConnections: 4_096,
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 120_000,
      }),
    ).toEqual(["server.headersTimeout (10s → 5s)", "server.requestTimeout (1m → 2m)"]);
    // A key removed from the policy goes back to its default.
    const running = { ...DEFAULT_CONNECTION_LIMITS, maxConnections: 2 };
    expect(connectionChanges("mcp.listen", running, {})).toEqual(["mcp.listen.maxConnections (2 → 4096)"]);
  });
});
