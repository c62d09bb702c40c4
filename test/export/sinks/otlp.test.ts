// OTLP/HTTP sink against a local receiver: one GenAI execute_tool span per tool call, the session as the trace.
import { describe, expect, it } from "vitest";
import { onCleanup, openWarden } from "../../helpers.js";
import { POLICY, runCalls, waitFor } from "../helpers.js";
import { OtlpReceiver } from "../receivers/otlp.js";

describe("otlp sink", () => {
  it("dead-letters what the collector refuses for good (400, which OTLP says not to retry)", async () => {
    const rx = await new OtlpReceiver().start();
    onCleanup(() => rx.stop());
    rx.status = 400;
    const sink = { name: "traces", type: "otlp", url: rx.url };
    const { warden } = await openWarden({ ...POLICY, export: { sinks: [sink] } }, { export: { pollMs: 50 } });
    await runCalls(warden, 2);
    const alerts = async () => (await warden.ledger.store.query({ kinds: ["alert"] })).map((a) => a.data);
    await waitFor(async () => (await alerts()).length > 0);
    expect((await alerts())[0]).toMatchObject({ type: "export.dead_letter", sink: "traces" });
  });

  it("sends an execute_tool span per call (refused calls too), with GenAI attributes and ids stable per call", async () => {
    const rx = await new OtlpReceiver().start();
    onCleanup(() => rx.stop());
    const sink = {
      name: "traces",
      type: "otlp",
      url: rx.url,
      serviceName: "warden-test",
      headersEnv: { "x-api-key": "OTLP_KEY" },
    };
    const { warden } = await openWarden(
      { ...POLICY, export: { sinks: [sink] } },
      { export: { env: { OTLP_KEY: "k" }, pollMs: 50 } },
    );
    const session = await runCalls(warden, 10);
    const intents = await warden.ledger.store.query({ kinds: ["call.intent"] });
    await waitFor(() => rx.spans.length >= intents.length);
    expect(rx.contentTypes[0]).toContain("application/json");
    expect(rx.spans).toHaveLength(10);
    expect(new Set(rx.spans.map((s) => s.traceId)).size).toBe(1);
    expect(new Set(rx.spans.map((s) => s.spanId)).size).toBe(10);
    for (const s of rx.spans) {
      expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(s.service).toBe("warden-test");
      expect(s.endNs).toBeGreaterThanOrEqual(s.startNs);
      expect(s.attributes).toMatchObject({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.agent.name": "support-bot",
        "gen_ai.conversation.id": session,
      });
      expect(s.name).toBe(`execute_tool ${s.attributes["gen_ai.tool.name"]}`);
    }
    const refused = rx.spans.filter((s) => s.attributes["gen_ai.tool.name"] === "send_email");
    expect(refused).toHaveLength(2);
    // Status code 2 = ERROR, with the semconv error.type.
    expect(refused.every((s) => s.status === 2 && s.attributes["error.type"] === "tool_denied")).toBe(true);
    const callIds = intents.map((r) => r.callId).sort();
    expect(rx.spans.map((s) => s.attributes["gen_ai.tool.call.id"]).sort()).toEqual(callIds);
  });

  it("joins the caller's W3C trace: the traceparent's trace id, its span as the parent", async () => {
    const rx = await new OtlpReceiver().start();
    onCleanup(() => rx.stop());
    const sink = { name: "traces", type: "otlp", url: rx.url, serviceName: "warden-test" };
    const { warden } = await openWarden({ ...POLICY, export: { sinks: [sink] } }, { export: { pollMs: 50 } });
    const session = await warden.session({
      agent: "support-bot",
      onBehalfOf: "alice@example.com",
      intent: "t",
    });
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await session.guard("read_ticket", async () => "ok").with({ traceparent })();
    await session.check("send_email", { to: "x@example.com" }, { traceparent });
    await waitFor(() => rx.spans.length >= 2);
    for (const s of rx.spans) {
      expect(s.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
      expect(s.parentSpanId).toBe("00f067aa0ba902b7");
    }
    await expect(
      session.check("read_ticket", {}, { traceparent: "00-nothex-00f067aa0ba902b7-01" }),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
  });
});
