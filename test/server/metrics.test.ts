// GET /metrics: Node's default metrics under their standard names, and gauges for pending approvals and the chain head.
import { describe, expect, it } from "vitest";
import { startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";

const POLICY = {
  rules: [
    { id: "read", tools: ["read_ticket"], decision: "allow" },
    { id: "mail", tools: ["send_email"], decision: "ask", reason: "mail needs a person" },
  ],
};

/** The value of one sample line, e.g. `warden_approvals_pending 1`. */
function sample(text: string, name: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.slice(name.length + 1));
}

describe("/metrics", () => {
  it("serves process_cpu_seconds_total and the other default metrics unprefixed, pending approvals and the chain head", async () => {
    const { warden } = await openWarden(POLICY);
    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const session = await warden.session({ agent: "a", onBehalfOf: "u@example.com", intent: "t" });
    await session.check("read_ticket", {});
    await session.check("send_email", { to: "x@example.com" });
    await session.check("send_email", { to: "y@example.com" });

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    expect(text).not.toContain("warden_process_");
    expect(sample(text, "warden_approvals_pending")).toBe(2);
    const head = (await warden.ledger.head())!;
    expect(sample(text, 'warden_ledger_head_seq{chain="main"}')).toBe(head.seq);
    expect(sample(text, 'warden_ledger_checkpoint_seq{chain="main"}')).toBe(head.checkpointSeq ?? 0);

    // A decision taken: one fewer pending.
    const [pending] = warden.approvals.queue.book.list((v) => v.status === "pending", 1);
    await warden.approvals.queue.decide(pending!.id, {
      decision: "deny",
      reason: "no",
      approver: { name: "ann", role: "admin", via: "cli" },
    });
    const after = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(after, "warden_approvals_pending")).toBe(1);
    expect(sample(after, 'warden_ledger_head_seq{chain="main"}')).toBeGreaterThan(head.seq);
  });
});
