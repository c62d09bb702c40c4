// One decision per approval under a race: deciders in several processes (SQLite) or instances
// (PostgreSQL) answer one approval at once, round after round; the ledger keeps the first final
// decision only, and every reader tells the same outcome.
import { fork } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { generateKeyPair } from "../../src/ledger/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import { afterTest, freshSchema, pgAvailable } from "../ledger/pg.js";

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 50);
const DECIDERS = 4;
/** Fifty rounds of five processes take seconds alone and much longer on a shared machine. */
const RACE_TIMEOUT = 180_000;

const policy = (approvers: number) => ({
  default: "allow",
  rules: [{ id: "mail-asks", tool: "send_email", decision: "ask", approval: { approvers } }],
  approvals: { timeout: "10m" },
});

type Reply = { type: string; ok?: boolean; code?: string; status?: string | null };

function child(db: string, approvers: number, keyPath?: string) {
  const proc = fork(
    join(import.meta.dirname, "fixtures/decider-child.mjs"),
    [db, JSON.stringify(policy(approvers)), ...(keyPath ? [keyPath] : [])],
    { stdio: ["ignore", "ignore", "inherit", "ipc"] },
  );
  const replies: ((r: Reply) => void)[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    proc.once("error", reject);
    proc.once("exit", (code) => reject(new Error(`decider exited with ${code}`)));
    proc.on("message", (r: Reply) => (r.type === "ready" ? resolve() : replies.shift()?.(r)));
  });
  const ask = (msg: Record<string, unknown>) =>
    new Promise<Reply>((resolve) => {
      replies.push(resolve);
      proc.send(msg);
    });
  return { proc, ready, ask };
}

async function race(db: string, parent: Warden, approvers: number, keyPath?: string) {
  const deciders = Array.from({ length: DECIDERS }, () => child(db, approvers, keyPath));
  (keyPath ? afterTest : onCleanup)(async () => {
    for (const d of deciders) d.proc.kill("SIGKILL");
  });
  await Promise.all(deciders.map((d) => d.ready));
  const session = await parent.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "race" });
  const outcomes = new Map<string, string>();
  for (let round = 0; round < ROUNDS; round++) {
    const asked = await session.check("send_email", { to: `r${round}@example.com` });
    const id = asked.approval!.id;
    // Mixed answers: even deciders approve, odd ones deny; the round's first decider varies.
    const answers = await Promise.all(
      deciders.map((d, i) =>
        d.ask({
          type: "decide",
          id,
          decision: (i + round) % 2 === 0 ? "approve" : "deny",
          name: `person${i}@example.com`,
        }),
      ),
    );
    for (const a of answers) if (!a.ok) expect(a.code).toBe("APPROVAL_CLOSED");
    const records = await parent.ledger.store.query({ callId: asked.callId, kinds: ["approval.decision"] });
    const final = records.findIndex(
      (r) =>
        r.data.decision === "deny" ||
        records.filter((x) => x.data.decision === "approve").length >= approvers,
    );
    // Exactly one final outcome, nothing after it, each person once.
    const denies = records.filter((r) => r.data.decision === "deny").length;
    const approves = records.filter((r) => r.data.decision === "approve").length;
    expect(final).toBeGreaterThanOrEqual(0);
    expect(denies === 1 ? approves < approvers : approves === approvers && denies === 0).toBe(true);
    expect(new Set(records.map((r) => r.data.approver)).size).toBe(records.length);
    const outcome = denies === 1 ? "denied" : "approved";
    outcomes.set(id, outcome);
    expect(answers.filter((a) => a.ok).length).toBe(records.length);
    const reads = await Promise.all(deciders.map((d) => d.ask({ type: "read", id })));
    await parent.approvals.queue.book.poll();
    expect([...reads.map((r) => r.status), parent.approvals.queue.book.get(id)!.status]).toEqual(
      Array(DECIDERS + 1).fill(outcome),
    );
  }
  // After a restart too: a fresh reader of the ledger tells every round's outcome the same way.
  const fresh = await Warden.open({
    policy: policy(approvers),
    db,
    ...(keyPath ? { signingKey: keyPath, postgres: { poolSize: 2 } } : {}),
  });
  try {
    for (const [id, outcome] of outcomes) expect(fresh.approvals.queue.book.get(id)?.status).toBe(outcome);
  } finally {
    await fresh.close();
  }
  await Promise.all(
    deciders.map((d) => {
      const exited = new Promise((resolve) => d.proc.once("exit", resolve));
      d.proc.send({ type: "close" });
      return exited;
    }),
  );
}

describe("one decision per approval, under a race", () => {
  it(
    "SQLite, deciders in four processes, one approver needed: one decision per round, 50 rounds",
    async () => {
      const db = join(tempDir(), "ledger.db");
      const parent = await Warden.open({ policy: policy(1), db });
      onCleanup(() => parent.close());
      await race(db, parent, 1);
    },
    RACE_TIMEOUT,
  );

  it(
    "SQLite, four eyes: one final outcome, no decision after it, each person once",
    async () => {
      const db = join(tempDir(), "ledger.db");
      const parent = await Warden.open({ policy: policy(2), db });
      onCleanup(() => parent.close());
      await race(db, parent, 2);
    },
    RACE_TIMEOUT,
  );

  it.skipIf(!pgAvailable)(
    "PostgreSQL, four instances: one decision per round, 50 rounds",
    async () => {
      const { url } = freshSchema();
      const keys = await generateKeyPair(tempDir());
      const parent = await Warden.open({
        policy: policy(1),
        db: url,
        signingKey: keys.paths.privateKey,
        postgres: { poolSize: 2 },
      });
      afterTest(() => parent.close());
      await race(url, parent, 1, keys.paths.privateKey);
    },
    RACE_TIMEOUT,
  );
});
