// The exporter off the hot path: a hanging sink neither slows tool calls nor holds up close().
import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/webhooks/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { POLICY, runCalls, waitFor } from "./helpers.js";
import { HecReceiver } from "./receivers/hec.js";

const ENV = { SPLUNK_HEC_TOKEN: "t" };

describe("exporter", () => {
  it("never holds calls: 1,000 calls complete while the only sink hangs on every delivery", async () => {
    const hec = await new HecReceiver("t").start();
    onCleanup(() => hec.stop());
    hec.mode = "hang";
    const sinks = [{ name: "stuck", type: "splunk-hec", url: hec.url, sendTimeout: "60s" }];
    const exporting = await openWarden(
      { ...POLICY, export: { sinks } },
      { export: { env: ENV, pollMs: 10, closeGraceMs: 100 } },
    );
    // The sink holds its first request open for the whole run: calls that waited on export would hang
    // here. How little export costs a call is measured in the benchmarks, not asserted in a test.
    await waitFor(() => hec.requests > 0);
    await runCalls(exporting.warden, 1000);
    expect(exporting.warden.exporter?.stats().get("stuck")?.delivered).toBe(0);
    expect(exporting.warden.exporter?.stats().get("stuck")?.lag).toBeGreaterThan(1000);
    // Closing gives up on the hanging delivery after its grace instead of waiting for the 60 s timeout.
    const t = performance.now();
    await exporting.warden.close();
    expect(performance.now() - t).toBeLessThan(30_000);
  });

  it("backs off exponentially with jitter, capped", () => {
    const retry = { attempts: 5, minDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, retry, () => 0)).toBe(50);
    expect(backoffDelay(1, retry, () => 1)).toBe(100);
    expect(backoffDelay(3, retry, () => 1)).toBe(400);
    expect(backoffDelay(10, retry, () => 0.5)).toBe(750);
  });
});
