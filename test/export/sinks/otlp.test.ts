// OTLP/HTTP sink against a local receiver: one GenAI execute_tool span per tool call, the session as the trace.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Exporter, OtlpSink, recordEvent } from "../../../src/export/index.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { POLICY, runCalls, waitFor } from "../helpers.js";
import { OtlpReceiver } from "../receivers/otlp.js";

describe("otlp sink", () => {
  it.each([400, 408, 500, 501])(
    "dead-letters what the collector answers %i, which OTLP says not to retry",
    async (status) => {
      const rx = await new OtlpReceiver().start();
      onCleanup(() => rx.stop());
      rx.status = status;
      const sink = { name: "traces", type: "otlp", url: rx.url };
      const { warden } = await openWarden(
        { ...POLICY, export: { sinks: [sink] } },
        { export: { pollMs: 50 } },
      );
      await runCalls(warden, 2);
      const alerts = async () => (await warden.ledger.store.query({ kinds: ["alert"] })).map((a) => a.data);
      await waitFor(async () => (await alerts()).length > 0);
      expect((await alerts())[0]).toMatchObject({ type: "export.dead_letter", sink: "traces" });
    },
  );

  it("retries 429, 502, 503 and 504, the answers OTLP calls retryable, until the collector takes the spans", async () => {
    const rx = await new OtlpReceiver().start();
    onCleanup(() => rx.stop());
    rx.answers.push({ status: 429 }, { status: 502 }, { status: 503 }, { status: 504 });
    const { warden } = await openWarden(POLICY);
    await runCalls(warden, 1);
    const sink = new OtlpSink({ name: "traces", url: rx.url });
    const exporter = new Exporter(warden.ledger, [{ sink, retry: { minDelayMs: 1, maxDelayMs: 5 } }]);
    onCleanup(() => exporter.close());
    await waitFor(() => rx.spans.length > 0);
    expect(rx.answers).toEqual([]);
    expect(await warden.ledger.store.query({ kinds: ["alert"] })).toEqual([]);
  });

  it.each([
    ["delay-seconds, on a 429", 429, () => "1"],
    // IMF-fixdate has whole seconds: the next second but one is 1 to 2 s away.
    ["an HTTP-date, on a 503", 503, () => new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toUTCString()],
  ])(
    "sends spans again only once the Retry-After the collector named (%s) has passed",
    async (_, status, after) => {
      const rx = await new OtlpReceiver().start();
      onCleanup(() => rx.stop());
      rx.answers.push({ status, retryAfter: after });
      const { warden } = await openWarden(POLICY);
      await runCalls(warden, 1);
      // A wait longer than the request timeout: it is the exporter's to keep, not the request's (a client
      // that retries only within its request timeout drops such a Retry-After and tries again at once).
      const sink = new OtlpSink({ name: "traces", url: rx.url, timeoutMs: 500 });
      const exporter = new Exporter(warden.ledger, [{ sink, retry: { minDelayMs: 10, maxDelayMs: 5000 } }]);
      onCleanup(() => exporter.close());
      await waitFor(() => rx.spans.length >= 1);
      expect(rx.posts[1]! - rx.posts[0]!).toBeGreaterThanOrEqual(950);
    },
  );

  it("cuts its request when the exporter gives up on the send", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    onCleanup(() => {
      silent.closeAllConnections();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1/traces`;
    const sink = new OtlpSink({ name: "traces", url, timeoutMs: 20_000 });
    const outcome = recordEvent({
      v: 1,
      chain: "main",
      seq: 1,
      ts: "2026-01-01T00:00:00.000Z",
      hash: "0",
      kind: "call.outcome",
      session: "ses_1",
      agent: "bot",
      callId: "call_1",
      data: { tool: "read_ticket", status: "ok", durationMs: 5 },
    });
    const abort = new AbortController();
    const started = performance.now();
    setTimeout(() => abort.abort(), 100);
    await expect(sink.send([outcome], abort.signal)).rejects.toMatchObject({ code: "EXPORT_SINK_FAILED" });
    // Cut at the abort, not at the request's 20 s timeout.
    expect(performance.now() - started).toBeLessThan(10_000);
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
