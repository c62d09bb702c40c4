// A call waiting for a person stops when its session ends or its Warden closes: it does not hang until
// the approval's deadline (nor keep `npm run screenshots` from finishing).
import { describe, expect, it, vi } from "vitest";
import type { Warden } from "../../src/index.js";
import { openWarden } from "../helpers.js";

const POLICY = {
  agents: { "support-bot": { team: "support", developer: "dana@example.com", tools: ["refund"] } },
  rules: [{ id: "refund-needs-human", tools: ["refund"], decision: "ask" }],
};

/** The settled outcome of `call`, or "still waiting" if it has not settled within one second. */
async function within(call: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise((resolve) => {
    timer = setTimeout(() => resolve("still waiting"), 1_000);
  });
  const settled = call.then(
    () => "ran",
    (err: { code?: string }) => err.code,
  );
  try {
    return await Promise.race([settled, giveUp]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitingRefund(warden: Warden) {
  const session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "carol@example.com",
    intent: "answer ticket #4533",
  });
  const body = vi.fn(async (_args: { order: string; amount: number }) => "refunded");
  const call = session.guard("refund", body)({ order: "A-1077", amount: 129 });
  call.catch(() => undefined);
  const pending = () => warden.approvals.queue.book.list((v) => v.status === "pending", 1)[0];
  await vi.waitFor(() => expect(pending()).toBeDefined());
  return { session, call, body, approval: pending()! };
}

describe.each([
  ["SQLite", {}],
  ["memory", { db: ":memory:" }],
])("a call waiting for its approval (%s)", (_store, options) => {
  it("gets SESSION_ENDED when its session ends, and its approval reads as closed", async () => {
    const { warden } = await openWarden(POLICY, options);
    const { session, call, body, approval } = await waitingRefund(warden);
    await session.end("screenshots taken");
    expect(await within(call)).toBe("SESSION_ENDED");
    expect(body).not.toHaveBeenCalled();
    const shown = await warden.approvals.queue.current(warden.approvals.queue.book.get(approval.id)!);
    expect(shown.status).toBe("closed");
    expect(shown.closed?.reason).toBe("session ended: screenshots taken");
  });

  it("gets LEDGER_UNAVAILABLE when the Warden closes, and close returns", async () => {
    const { warden } = await openWarden(POLICY, options);
    const { call, body } = await waitingRefund(warden);
    expect(await within(warden.close())).toBe("ran");
    expect(await within(call)).toBe("LEDGER_UNAVAILABLE");
    expect(body).not.toHaveBeenCalled();
  });
});
