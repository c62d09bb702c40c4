// server-everything behind the gateway (in process, stdio upstream): tools, denial, and every pass-through feature.
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { beforeEach, describe, expect, it } from "vitest";
import type { Warden } from "../../../src/warden.js";
import { answerApprovals, openWarden } from "../../helpers.js";
import {
  codeOf,
  connectInMemory,
  EVERYTHING,
  eventually,
  gatewayFor,
  records,
  stdioServer,
  textOf,
} from "./helpers.js";

const POLICY = {
  default: "allow",
  rules: [
    { id: "no-env", tool: "get-env", decision: "deny", reason: "environment variables may hold secrets" },
    { id: "sum-small", tool: "get-sum", decision: "deny", when: "args.a > 100", reason: "too big" },
    { id: "image-ask", tool: "get-tiny-image", decision: "ask", reason: "images need a human" },
  ],
  limits: [{ id: "echo-rate", key: "session", tools: ["echo"], calls: 3, per: "1h" }],
};

describe("server-everything behind warden mcp", () => {
  let warden: Warden;
  beforeEach(async () => {
    ({ warden } = await openWarden(POLICY));
  });
  const gateway = () => gatewayFor(warden, { servers: [stdioServer("everything", EVERYTHING)] });

  it("lists tools without the ones policy never allows, and runs allowed calls with intent and outcome records", async () => {
    const client = await connectInMemory(await gateway());
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names).toContain("get-sum");
    expect(names).not.toContain("get-env");
    const result = await client.callTool({
      name: "echo",
      arguments: { message: "hi" },
      _meta: { "warden/callId": "model-call-1", "warden/rationale": "the user said hi" },
    });
    expect(textOf(result)).toBe("Echo: hi");
    const intent = (await records(warden, "call.intent")).find((r) => r.callId === "model-call-1");
    expect(intent?.data).toMatchObject({
      tool: "echo",
      args: { message: "hi" },
      rationale: "the user said hi",
    });
    const outcome = await eventually(async () =>
      (await records(warden, "call.outcome")).find((r) => r.callId === "model-call-1"),
    );
    expect(outcome.data).toMatchObject({ status: "ok" });
  });

  it("refuses with a readable isError result: deny, conditional deny, ask, rate limit", async () => {
    const client = await connectInMemory(await gateway());
    const env = await client.callTool({ name: "get-env", arguments: {} });
    expect(env.isError).toBe(true);
    expect(codeOf(env)).toBe("TOOL_DENIED");
    expect(textOf(env)).toContain("environment variables may hold secrets");
    expect(textOf(await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } }))).toContain("3");
    expect(codeOf(await client.callTool({ name: "get-sum", arguments: { a: 101, b: 2 } }))).toBe(
      "TOOL_DENIED",
    );
    answerApprovals(warden, "deny", "no images today");
    const image = await client.callTool({ name: "get-tiny-image", arguments: {} });
    expect(codeOf(image)).toBe("APPROVAL_DENIED");
    expect(textOf(image)).toContain("no images today");
    for (let i = 0; i < 3; i++) await client.callTool({ name: "echo", arguments: { message: String(i) } });
    const limited = await client.callTool({ name: "echo", arguments: { message: "again" } });
    expect(codeOf(limited)).toBe("RATE_LIMITED");
    expect(limited._meta?.["warden/retryAfterMs"]).toBeGreaterThan(0);
    const denied = (await records(warden, "call.intent")).filter(
      (r) => (r.data.decision as { enforced: string }).enforced !== "allow",
    );
    expect(denied.map((r) => r.data.tool)).toEqual(["get-env", "get-sum", "get-tiny-image", "echo"]);
    const unknown = await client
      .callTool({ name: "no-such-tool", arguments: {} })
      .catch((e: { code: number }) => e);
    expect((unknown as { code: number }).code).toBe(-32602);
  });

  it("holds an ask until a person approves, telling a client that asked for progress why it waits", async () => {
    const client = await connectInMemory(await gateway());
    const notices: string[] = [];
    const call = client.callTool({ name: "get-tiny-image", arguments: {} }, undefined, {
      onprogress: (p) => notices.push(p.message ?? ""),
    });
    const pending = await eventually(
      async () => warden.approvals.queue.book.list((v) => v.status === "pending", 1)[0],
    );
    expect(pending).toMatchObject({ tool: "get-tiny-image", ruleId: "image-ask" });
    await eventually(async () => notices.length > 0);
    expect(notices[0]).toContain(`waiting for a human approval (${pending.id}`);
    await warden.approvals.queue.decide(pending.id, {
      decision: "approve",
      approver: { name: "alice@sec.example.com", role: "approver", via: "api" },
      digest: pending.digest,
    });
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain("image");
    const outcome = await eventually(async () =>
      (await records(warden, "call.outcome")).find((r) => r.callId === pending.callId),
    );
    expect(outcome.data).toMatchObject({ status: "ok" });
  });

  it("passes resources (with pagination cursors), templates, prompts and completions through", async () => {
    const client = await connectInMemory(await gateway());
    const first = await client.listResources();
    expect(first.resources.length).toBeGreaterThan(0);
    const all = [...first.resources];
    for (let cursor = first.nextCursor; cursor; ) {
      const page = await client.listResources({ cursor });
      all.push(...page.resources);
      cursor = page.nextCursor;
    }
    const uri = all[0]?.uri ?? "";
    const read = await client.readResource({ uri });
    expect(read.contents[0]?.uri).toBe(uri);
    expect((await client.listResourceTemplates()).resourceTemplates.length).toBeGreaterThan(0);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain("simple-prompt");
    const prompt = await client.getPrompt({ name: "args-prompt", arguments: { city: "Paris", state: "TX" } });
    expect(JSON.stringify(prompt.messages)).toContain("Paris");
    const completion = await client.complete({
      ref: { type: "ref/prompt", name: "completable-prompt" },
      argument: { name: "department", value: "E" },
    });
    expect(completion.completion.values).toContain("Engineering");
  });

  it("relays progress notifications under the client's token, and cancellation with an outcome record", async () => {
    const client = await connectInMemory(await gateway());
    const progress: number[] = [];
    const done = await client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.3, steps: 3 } },
      undefined,
      {
        onprogress: (p) => progress.push(p.progress),
      },
    );
    expect(textOf(done)).toContain("completed");
    // server-everything sends its last progress right before the result; the SDK's Client runs progress
    // handlers a tick after receipt but forgets the token on the result, so that last one can be lost
    // even on a direct connection. Every progress before it must arrive, in order.
    expect([
      [1, 2],
      [1, 2, 3],
    ]).toContainEqual(progress);

    const abort = new AbortController();
    const call = client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 5, steps: 5 } },
      undefined,
      {
        signal: abort.signal,
        onprogress: () => undefined,
      },
    );
    setTimeout(() => abort.abort("user pressed stop"), 200);
    await expect(call).rejects.toThrow();
    const outcome = await eventually(async () =>
      (await records(warden, "call.outcome")).find(
        (r) => (r.data.error as { code?: string } | null)?.code === "CANCELLED",
      ),
    );
    expect(outcome.data.tool).toBe("trigger-long-running-operation");
  });

  it("round-trips sampling, elicitation and roots from the upstream to the client", async () => {
    const client = await connectInMemory(await gateway(), {
      capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
    });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      model: "test-model",
      role: "assistant",
      content: { type: "text", text: `sampled: ${JSON.stringify(request.params.messages[0]?.content)}` },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: "accept",
      content: { name: "Ada Lovelace", check: true, email: "ada@example.com" },
    }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: "file:///tmp/project", name: "project" }],
    }));
    await eventually(async () =>
      (await client.listTools()).tools.some((t) => t.name === "trigger-sampling-request"),
    );
    const sampled = await client.callTool({
      name: "trigger-sampling-request",
      arguments: { prompt: "hello", maxTokens: 10 },
    });
    expect(textOf(sampled)).toContain("sampled:");
    const elicited = await client.callTool({ name: "trigger-elicitation-request", arguments: {} });
    expect(textOf(elicited)).toContain("Ada Lovelace");
    const roots = await client.callTool({ name: "get-roots-list", arguments: {} });
    expect(textOf(roots)).toContain("file:///tmp/project");
  });

  it("forwards logging levels and log notifications", async () => {
    const client = await connectInMemory(await gateway());
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    await client.setLoggingLevel("debug");
    await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
    await eventually(async () => logs.length > 0, 15_000);
    await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
  });
});
