// Property test of downstream message handling: random and mutated JSON-RPC never crash the gateway, and no tool runs without an intent record.
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { McpServerSpec } from "../../../src/adapters/mcp/index.js";
import { openWarden } from "../../helpers.js";
import { gatewayFor, records } from "./helpers.js";
import { call, INIT, INITIALIZED, rawStdio } from "./raw.js";

const METHODS = [
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/read",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "notifications/cancelled",
  "notifications/initialized",
  "notifications/roots/list_changed",
];

const id = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.constant(undefined));
const toolParams = fc.record(
  {
    name: fc.oneof(fc.constantFrom("probe", "denied", "missing"), fc.string({ maxLength: 12 }), fc.integer()),
    arguments: fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
    ),
    _meta: fc.option(
      fc.record(
        {
          "warden/callId": fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
          progressToken: fc.oneof(fc.integer(), fc.string()),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
  },
  { requiredKeys: [] },
);
const message = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant("2.0"), fc.constant("2.0"), fc.string({ maxLength: 4 })),
    id,
    method: fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 16 })),
    params: fc.oneof(toolParams, fc.jsonValue({ maxDepth: 3 })),
    result: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ["jsonrpc"] },
);
const line = fc.oneof(
  fc.tuple(fc.integer(), fc.constantFrom("probe", "denied")).map(([i, name]) => call(i, name, { i })),
  message.map((m) => JSON.stringify(m)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 80 }),
  // A valid call, cut or with a byte changed: the near-misses a parser gets wrong.
  fc.tuple(fc.nat(60), fc.string({ maxLength: 3 })).map(([at, s]) => {
    const valid = call(1, "probe", { x: 1 });
    return valid.slice(0, at) + s + valid.slice(at + s.length);
  }),
);

describe("fuzzing the gateway's downstream", () => {
  it("answers a ping after any sequence of messages, and every upstream execution follows an allowing intent record", async () => {
    const { warden } = await openWarden({
      default: "allow",
      rules: [{ id: "no", tool: "denied", decision: "deny" }],
    });
    let executions = 0;
    const violations: string[] = [];
    const upstream: McpServerSpec = {
      name: "fake",
      transport: () => {
        const [client, server] = InMemoryTransport.createLinkedPair();
        const fake = new Server({ name: "fake", version: "1" }, { capabilities: { tools: {} } });
        const schema = { type: "object" as const };
        fake.setRequestHandler(ListToolsRequestSchema, () => ({
          tools: [
            { name: "probe", inputSchema: schema },
            { name: "denied", inputSchema: schema },
          ],
        }));
        fake.setRequestHandler(CallToolRequestSchema, async (request) => {
          executions++;
          const allowed = (await records(warden, "call.intent")).filter(
            (r) =>
              r.data.tool === request.params.name &&
              (r.data.decision as { enforced: string }).enforced === "allow",
          );
          if (allowed.length < executions)
            violations.push(`execution ${executions} of ${request.params.name} without intent`);
          return { content: [{ type: "text", text: "ok" }] };
        });
        void fake.connect(server);
        return client;
      },
    };
    const gateway = await gatewayFor(warden, { servers: [upstream], maxMessageBytes: 16 * 1024 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), async (lines) => {
        run++;
        const peer = rawStdio(gateway);
        peer.send(INIT);
        await peer.answer("init");
        peer.send(INITIALIZED);
        for (const l of lines) peer.send(l);
        // One call whose answer is awaited, so executions cannot depend on timing; ids longer than the fuzzed ones.
        peer.send(call(`final-call-${run}`, "probe", { run }));
        await peer.answer(`final-call-${run}`);
        peer.send(JSON.stringify({ jsonrpc: "2.0", id: `final-${run}`, method: "ping" }));
        const pong = await peer.answer(`final-${run}`);
        peer.end();
        await peer.closed;
        expect(pong).toMatchObject({ result: {} });
        expect(violations).toEqual([]);
      }),
      { numRuns: 60 },
    );
    const allowIntents = (await records(warden, "call.intent")).filter(
      (r) => (r.data.decision as { enforced: string }).enforced === "allow",
    );
    expect(executions).toBeGreaterThan(0);
    expect(executions).toBeLessThanOrEqual(allowIntents.length);
  }, 60_000);
});
