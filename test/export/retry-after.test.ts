// A receiver's Retry-After (SinkError.retryAfterMs) holds the next attempt back, up to the retry's maxDelay.
import { describe, expect, it } from "vitest";
import { Exporter, type Sink, SinkError } from "../../src/export/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { POLICY, runCalls, waitFor } from "./helpers.js";

/** A sink whose first send fails asking for `retryAfterMs`; it records when each send started. */
function throttledSink(retryAfterMs: number): Sink & { starts: number[] } {
  const starts: number[] = [];
  return {
    name: "throttled",
    starts,
    async send() {
      starts.push(performance.now());
      if (starts.length === 1) throw new SinkError("throttled", "HTTP 429", { status: 429, retryAfterMs });
    },
    async close() {},
  };
}

async function exportTo(sink: Sink, retry: { minDelayMs: number; maxDelayMs: number }): Promise<void> {
  const { warden } = await openWarden(POLICY);
  await runCalls(warden, 1);
  const exporter = new Exporter(warden.ledger, [{ sink, retry }]);
  onCleanup(() => exporter.close());
}

describe("Retry-After", () => {
  it("waits as long as the receiver asked before the next attempt, though the back-off is shorter", async () => {
    const sink = throttledSink(1000);
    await exportTo(sink, { minDelayMs: 10, maxDelayMs: 5000 });
    await waitFor(() => sink.starts.length >= 2);
    // The back-off alone would have retried within 10 ms.
    expect(sink.starts[1]! - sink.starts[0]!).toBeGreaterThanOrEqual(950);
  });

  it("waits no longer than the retry's maxDelay, whatever the receiver asked", async () => {
    const sink = throttledSink(3_600_000);
    await exportTo(sink, { minDelayMs: 10, maxDelayMs: 300 });
    await waitFor(() => sink.starts.length >= 2, 5000);
    expect(sink.starts[1]! - sink.starts[0]!).toBeGreaterThanOrEqual(250);
  });
});
