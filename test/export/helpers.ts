// Shared helpers for the export tests: a Warden with sinks, tool calls through it, waiting for delivery.

import { expect } from "vitest";
import { type ExportEvent, recordEvent } from "../../src/export/index.js";
import type { Warden } from "../../src/index.js";
import type { JsonObject } from "../../src/json.js";

/** The event of a first `alert` record with this data: what a sink test sends when the record does not matter. */
export function alertEvent(data: JsonObject = {}): ExportEvent {
  return recordEvent({
    v: 1,
    chain: "main",
    seq: 1,
    ts: "2026-01-01T00:00:00.000Z",
    hash: "0",
    kind: "alert",
    session: null,
    agent: null,
    callId: null,
    data,
  });
}

export const POLICY = { allowed_tools: ["read_ticket"], blocked_tools: ["send_email"] };

/** Runs `n` gated calls (every 5th one refused) in one session; returns the session id. */
export async function runCalls(warden: Warden, n: number): Promise<string> {
  const session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "tickets",
  });
  const read = session.guard("read_ticket", async (a: { id: number }) => ({ id: a.id }));
  const send = session.guard("send_email", async (_: { to: string }) => "sent");
  for (let i = 0; i < n; i++) {
    if (i % 5 === 4) await send({ to: "x@example.com" }).catch(() => undefined);
    else await read({ id: i });
  }
  await session.end();
  return session.id;
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every `<chain>:<seq>` the ledger holds, i.e. the ids an exporter must deliver. */
export async function expectedIds(warden: Warden): Promise<string[]> {
  const ids: string[] = [];
  for (const chain of await warden.ledger.store.chains()) {
    for (const r of await warden.ledger.store.readChain(chain, 1, 1_000_000)) ids.push(`${r.chain}:${r.seq}`);
  }
  return ids;
}

/**
 * Decides one call with `bytes` of arguments and a few ordinary ones, then waits until the sink dead-lettered
 * the big call's intent (its only alert) and `delivered()` holds every other event.
 */
export async function expectBigCallDeadLettered(
  warden: Warden,
  sink: string,
  bytes: number,
  delivered: () => readonly (string | undefined)[],
): Promise<void> {
  const session = await warden.session({
    agent: "support-bot",
    onBehalfOf: "alice@example.com",
    intent: "t",
  });
  const big = await session.check("read_ticket", { note: "x".repeat(bytes) });
  await runCalls(warden, 5);
  const [record] = await warden.ledger.store.query({ callId: big.callId, kinds: ["call.intent"] });
  const bigId = `${record!.chain}:${record!.seq}`;
  await waitFor(async () => (await warden.ledger.store.query({ kinds: ["alert"] })).length === 1);
  const [alert] = await warden.ledger.store.query({ kinds: ["alert"] });
  expect(alert?.data).toMatchObject({ type: "export.dead_letter", sink, event: bigId });
  const ids = (await expectedIds(warden)).filter((id) => id !== bigId);
  await waitFor(() => ids.every((id) => delivered().includes(id)));
  expect(delivered()).not.toContain(bigId);
}
