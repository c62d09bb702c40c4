// secrets.results holds for everything an upstream says during a call, not only its result: progress
// messages and log messages are masked (redact) or dropped (block); error data holding a secret is withheld.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Notification } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { openWarden } from "../../helpers.js";
import { codeOf, connectInMemory, eventually, gatewayFor, records } from "./helpers.js";
import { type HostileOptions, hostileUpstream, KEY, TOKEN } from "./screening-upstream.js";

/** A gateway in front of the hostile upstream; `token` is leased to every leak_* call. */
async function setUp(results: "redact" | "block", upstream: HostileOptions = {}) {
  const { warden } = await openWarden(
    {
      default: "allow",
      secrets: {
        results,
        items: {
          api_token: {
            provider: "env",
            variable: "SCREEN_TOKEN",
            tools: ["leak_*"],
            inject: { context: "token" },
          },
        },
      },
    },
    { env: { SCREEN_TOKEN: TOKEN } },
  );
  const gateway = await gatewayFor(warden, { servers: [hostileUpstream(upstream)] });
  const client = await connectInMemory(gateway);
  const notes: Notification[] = [];
  client.fallbackNotificationHandler = async (n) => {
    notes.push(n);
  };
  return { warden, client, notes };
}

async function progressOf(client: Client, text: string) {
  const seen: { message?: string }[] = [];
  const result = await client.callTool({ name: "leak_progress", arguments: { text } }, undefined, {
    onprogress: (p) => seen.push(p),
  });
  return { result, seen };
}

const leaked = (value: unknown) =>
  JSON.stringify(value).includes(KEY) || JSON.stringify(value).includes(TOKEN);

describe("progress and log messages an upstream sends during a call", () => {
  it("are masked under results: redact: leased values become [secret:NAME], credential formats are masked", async () => {
    const { client, notes } = await setUp("redact");
    const { result, seen } = await progressOf(client, `token ${TOKEN} key ${KEY}`);
    expect(codeOf(result)).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(leaked(seen)).toBe(false);
    expect(seen[0]?.message).toContain("[secret:api_token]");

    await client.callTool({ name: "leak_log", arguments: { text: `token ${TOKEN} key ${KEY}` } });
    const log = await eventually(async () => notes.find((n) => n.method === "notifications/message"));
    expect(leaked(log)).toBe(false);
    expect(JSON.stringify(log.params)).toContain("[secret:api_token]");
  });

  it("are dropped under results: block, with one alert per kind", async () => {
    const { warden, client, notes } = await setUp("block");
    const { result, seen } = await progressOf(client, `token ${TOKEN}`);
    expect(codeOf(result)).toBeUndefined();
    expect(seen).toHaveLength(0);
    await client.callTool({ name: "leak_log", arguments: { text: `key ${KEY}` } });
    await client.callTool({ name: "leak_log", arguments: { text: `key ${KEY}` } });
    const alerts = await eventually(async () => {
      const found = (await records(warden, "alert")).filter((a) => a.data.type === "mcp.relay.dropped");
      return found.length === 2 && found;
    });
    expect(alerts.map((a) => [a.data.method, a.data.code]).sort()).toEqual([
      ["notifications/message", "RESULT_WITHHELD"],
      ["notifications/progress", "RESULT_WITHHELD"],
    ]);
    expect(notes.filter((n) => n.method === "notifications/message")).toHaveLength(0);
    // A clean message still passes.
    const clean = await progressOf(client, "half way");
    expect(clean.seen.map((p) => p.message)).toEqual(["half way"]);
  });
});

describe("an upstream's JSON-RPC error whose data holds a secret", () => {
  for (const results of ["redact", "block"] as const) {
    it(`is withheld under results: ${results} (RESULT_WITHHELD), in the answer and the outcome`, async () => {
      const { warden, client } = await setUp(results);
      const answer = await client
        .callTool({ name: "fail", arguments: { code: -32603, data: { detail: `key ${KEY}` } } })
        .catch((err: unknown) => err);
      expect(leaked(answer)).toBe(false);
      expect(codeOf(answer)).toBe("RESULT_WITHHELD");
      const outcome = await eventually(async () => (await records(warden, "call.outcome")).at(-1));
      expect(outcome.data).toMatchObject({
        tool: "fail",
        status: "error",
        error: { code: "RESULT_WITHHELD" },
      });
    });
  }
});

describe("what a resource read, a prompt or a completion returns", () => {
  const LEAKS = `token ${TOKEN} key ${KEY}`;
  /** The session holds the leased token once a leak_* call has run. */
  async function leased(results: "redact" | "block") {
    const set = await setUp(results, { leaks: LEAKS });
    await set.client.callTool({ name: "leak_log", arguments: { text: "hello" } });
    return set;
  }

  it("is masked under results: redact, as a tool result is, errors included", async () => {
    const { client } = await leased("redact");
    const read = await client.readResource({ uri: "leak://notes" });
    const prompt = await client.getPrompt({ name: "recap" });
    const completion = await client.complete({
      ref: { type: "ref/prompt", name: "recap" },
      argument: { name: "topic", value: "" },
    });
    for (const answer of [read, prompt, completion]) {
      expect(leaked(answer)).toBe(false);
      expect(JSON.stringify(answer)).toContain("[secret:api_token]");
    }
    const failed = await client.readResource({ uri: "leak://fail" }).catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: -32603 });
    expect(leaked(failed)).toBe(false);
    expect(JSON.stringify((failed as { data?: unknown }).data)).toContain("[secret:api_token]");
  });

  it("is withheld under results: block (RESULT_WITHHELD), with one alert per method", async () => {
    const { warden, client } = await leased("block");
    const read = await client.readResource({ uri: "leak://notes" }).catch((err: unknown) => err);
    const again = await client.readResource({ uri: "leak://notes" }).catch((err: unknown) => err);
    const prompt = await client.getPrompt({ name: "recap" }).catch((err: unknown) => err);
    const failed = await client.readResource({ uri: "leak://fail" }).catch((err: unknown) => err);
    for (const answer of [read, again, prompt, failed]) {
      expect(leaked(answer)).toBe(false);
      expect(answer).toMatchObject({ code: -32603, data: { code: "RESULT_WITHHELD" } });
    }
    const alerts = await eventually(async () => {
      const found = (await records(warden, "alert")).filter((a) => a.data.type === "mcp.relay.dropped");
      return found.length === 2 && found;
    });
    expect(alerts.map((a) => a.data.method).sort()).toEqual(["prompts/get", "resources/read"]);
  });
});
