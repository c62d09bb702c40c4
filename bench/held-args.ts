// Held arguments: the cost of sealing and opening a call's arguments (AES-256-GCM), and what holding
// them adds to an asked call on SQLite (the same ask with and without a `redact:` path).
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArgsSeal } from "../src/approvals/index.js";
import { Warden } from "../src/index.js";
import { fmt, percentile, table, timeLoop } from "./stats.js";

export async function benchHeldArgs(n = 2_000) {
  const seal = new ArgsSeal(randomBytes(32));
  const args = { to: "dave@example.com", body: "x".repeat(1024) };
  const sealed = seal.seal("apr_bench", args);
  const sealing = await timeLoop(20_000, () => seal.seal("apr_bench", args));
  const opening = await timeLoop(20_000, () => seal.open("apr_bench", sealed));
  const ask = async (redact: boolean) => {
    const policy = {
      default: "allow",
      rules: [{ id: "ask", tool: "send_email", decision: "ask" }],
      // Every call of the one session stays pending: the cap on pending approvals must not turn them
      // into denials.
      approvals: { maxPendingPerSession: n + 100 },
      ...(redact ? { redact: { send_email: ["$.body"] } } : {}),
    };
    const warden = await Warden.open({
      policy,
      db: join(mkdtempSync(join(tmpdir(), "warden-bench-held-")), "l.db"),
    });
    const session = await warden.session({ agent: "bench", onBehalfOf: "u@example.com", intent: "bench" });
    const ms: number[] = [];
    for (let i = 0; i < n + 100; i++) {
      const t = performance.now();
      const decided = await session.check("send_email", { ...args, i });
      if (decided.enforced !== "ask") throw new Error(`call ${i} was not asked: ${decided.reason}`);
      if (i >= 100) ms.push(performance.now() - t);
    }
    await warden.close();
    ms.sort((a, b) => a - b);
    return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
  };
  return { sealing, opening, plain: await ask(false), held: await ask(true), n };
}

export function heldArgsTable(r: Awaited<ReturnType<typeof benchHeldArgs>>): string {
  return table([
    ["measure", "value"],
    ["seal 1 KiB of arguments (AES-256-GCM)", `${fmt(r.sealing.nsPerOp / 1000, 1)} µs`],
    ["open them", `${fmt(r.opening.nsPerOp / 1000, 1)} µs`],
    [
      `asked call, nothing redacted (p50 / p99 of ${fmt(r.n)})`,
      `${fmt(r.plain.p50, 2)} / ${fmt(r.plain.p99, 2)} ms`,
    ],
    [`asked call, body redacted and held (p50 / p99)`, `${fmt(r.held.p50, 2)} / ${fmt(r.held.p99, 2)} ms`],
  ]);
}
