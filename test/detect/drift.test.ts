// Behaviour drift against a baseline learned from the ledger, and call-rate spikes against an agent's average.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Baseline } from "../../src/detect/baseline.js";
import { rateDetector } from "../../src/detect/detectors/rate/index.js";
import { Warden } from "../../src/index.js";
import { parsePolicy } from "../../src/policy/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { alertsOf } from "./helpers.js";

const POLICY = { default: "allow", detect: { drift: { threshold: 0.05, minObservations: 20 } } };

describe("drift", () => {
  it("scores a transition the learned baseline never saw, after a restart", async () => {
    const { warden, dir } = await openWarden(POLICY);
    for (let i = 0; i < 25; i++) {
      const s = await warden.session({ agent: "support", onBehalfOf: "u", intent: "ticket" });
      await s.run("read_ticket", {}, () => 1);
      await s.run("send_email", {}, () => 1);
    }
    await warden.close();

    const again = await Warden.open({ policy: POLICY, db: join(dir, "ledger.db") });
    onCleanup(() => again.close());
    const before = (await alertsOf(again)).length;
    const s = await again.session({ agent: "support", onBehalfOf: "u", intent: "ticket" });
    await s.run("read_ticket", {}, () => 1, { callId: "usual" });
    await s.run("export_all_customers", {}, () => 1, { callId: "odd" });
    const alerts = (await alertsOf(again)).slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.callId).toBe("odd");
    expect(alerts[0]!.data).toMatchObject({
      detector: "drift",
      score: 0,
      details: { from: "read_ticket", to: "export_all_customers", seen: 0, observations: 25 },
    });
  });

  it("stays quiet until the baseline has enough observations", async () => {
    const { warden } = await openWarden(POLICY);
    const s = await warden.session({ agent: "fresh", onBehalfOf: "u", intent: "x" });
    await s.run("a", {}, () => 1);
    await s.run("b", {}, () => 1);
    expect(await alertsOf(warden)).toHaveLength(0);
  });
});

describe("rate", () => {
  const settings = parsePolicy(
    JSON.stringify({ detect: { rate: { factor: 5, minMinutes: 10, minCalls: 20 } } }),
    "<t>",
  ).detect;
  const call = (now: number) => ({
    callId: "c",
    tool: "t",
    args: {},
    session: { id: "s", agent: "a", intent: "i" },
    now,
  });

  it("alerts once when a minute exceeds five times the agent's average", () => {
    const rate = rateDetector({ baseline: new Baseline() });
    const t0 = 60_000 * 1000;
    for (let m = 0; m < 30; m++)
      for (let i = 0; i < 4; i++) expect(rate.check(call(t0 + m * 60_000), settings)).toEqual([]);
    const spike = t0 + 30 * 60_000;
    const found = [];
    for (let i = 0; i < 40; i++) found.push(...rate.check(call(spike + i), settings));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ detector: "rate", action: "alert" });
    expect(found[0]!.score).toBeGreaterThan(5);
  });

  it("does not alert when a steady agent comes back from a pause at its usual pace", () => {
    const rate = rateDetector({ baseline: new Baseline() });
    const t0 = 60_000 * 1000;
    const minute = (m: number) => {
      const found = [];
      for (let i = 0; i < 30; i++) found.push(...rate.check(call(t0 + m * 60_000 + i), settings));
      return found;
    };
    for (let m = 0; m < 20; m++) expect(minute(m)).toEqual([]);
    // Twenty idle minutes (lunch, a deploy), then the same 30 calls a minute.
    for (let m = 40; m < 45; m++) expect(minute(m)).toEqual([]);
  });

  it("does not alert on a steady rate or without enough history", () => {
    const rate = rateDetector({ baseline: new Baseline() });
    const t0 = 60_000 * 1000;
    for (let i = 0; i < 100; i++) expect(rate.check(call(t0 + i), settings)).toEqual([]);
    for (let m = 1; m < 30; m++) {
      for (let i = 0; i < 25; i++) expect(rate.check(call(t0 + m * 60_000 + i), settings)).toEqual([]);
    }
  });
});
