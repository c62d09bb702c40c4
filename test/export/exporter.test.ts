// The exporter off the hot path: a hanging sink neither slows tool calls nor holds up close().
import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/export/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { POLICY, runCalls, waitFor } from "./helpers.js";
import { HecReceiver } from "./receivers/hec.js";

const ENV = { SPLUNK_HEC_TOKEN: "t" };

describe("exporter", () => {
  it("never slows calls: 1,000 calls with a hanging sink take about as long as without export", async () => {
    const hec = await new HecReceiver("t").start();
    onCleanup(() => hec.stop());
    hec.mode = "hang";
    const sinks = [{ name: "stuck", type: "splunk-hec", url: hec.url, sendTimeout: "60s" }];
    const plain = await openWarden(POLICY);
    const exporting = await openWarden(
      { ...POLICY, export: { sinks } },
      { export: { env: ENV, pollMs: 10, closeGraceMs: 100 } },
    );
    // Warm both up (JIT, first transactions) before timing.
    await runCalls(plain.warden, 50);
    await runCalls(exporting.warden, 50);
    let t = performance.now();
    await runCalls(plain.warden, 1000);
    const baseline = performance.now() - t;
    t = performance.now();
    await runCalls(exporting.warden, 1000);
    const withStuckSink = performance.now() - t;
    await waitFor(() => hec.requests > 0);
    expect(exporting.warden.exporter?.stats().get("stuck")?.delivered).toBe(0);
    expect(exporting.warden.exporter?.stats().get("stuck")?.lag).toBeGreaterThan(1000);
    // Generous bound for noisy CI machines; in practice the two are within a few percent.
    expect(withStuckSink).toBeLessThan(baseline * 1.5 + 250);
    t = performance.now();
    await exporting.warden.close();
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it("backs off exponentially with jitter, capped", () => {
    const retry = { attempts: 5, minDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, retry, () => 0)).toBe(50);
    expect(backoffDelay(1, retry, () => 1)).toBe(100);
    expect(backoffDelay(3, retry, () => 1)).toBe(400);
    expect(backoffDelay(10, retry, () => 0.5)).toBe(750);
  });
});
