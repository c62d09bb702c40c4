// The stores take one final decision per approval and one answer per person, whoever writes it; a
// refused decision fails alone, and a ledger written before the check existed gets its rows at open.
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Ledger, MemoryStore, type RecordInput, SqliteStore } from "../../src/ledger/index.js";
import { ephemeralKey, intent, tempDir } from "./helpers.js";

const decision = (
  approver: string | null,
  what: "approve" | "deny" | "expire",
  required = 1,
): RecordInput<"approval.decision"> => ({
  kind: "approval.decision",
  session: "s-1",
  agent: "bot",
  callId: "c-1",
  data: {
    approvalId: "apr_1",
    digest: "sha256:x",
    decision: what,
    approver,
    role: null,
    via: "api",
    reason: null,
    remember: null,
    required,
    expiresAt: "2999-01-01T00:00:00.000Z",
  },
});

describe("one decision per approval in the store", () => {
  it.each([
    ["memory", async () => new MemoryStore()],
    ["sqlite", async () => SqliteStore.open(join(tempDir(), "ledger.db"))],
  ])("%s: four eyes take two people, nothing after the final decision, each person once", async (_, open) => {
    const ledger = await Ledger.open({
      store: await open(),
      signingKey: ephemeralKey(),
      checkpointSeconds: 0,
    });
    await ledger.append(decision("Alice", "approve", 2));
    await expect(ledger.append(decision("alice", "approve", 2))).rejects.toMatchObject({
      code: "APPROVAL_CLOSED",
    });
    await ledger.append(decision("bob", "approve", 2));
    await expect(ledger.append(decision("carol", "deny", 2))).rejects.toMatchObject({
      code: "APPROVAL_CLOSED",
    });
    await expect(ledger.append(decision(null, "expire", 2))).rejects.toMatchObject({
      code: "APPROVAL_CLOSED",
    });
    await ledger.close();
  });

  it("a refused decision fails alone: records appended with it in the same turn are written", async () => {
    const ledger = await Ledger.open({
      store: new MemoryStore(),
      signingKey: ephemeralKey(),
      checkpointSeconds: 0,
    });
    await ledger.append(decision("alice", "deny"));
    const results = await Promise.allSettled([
      ledger.append(intent(1)),
      ledger.append(decision("bob", "approve")),
      ledger.append(intent(2)),
      ledger.checkpointNow(),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    await ledger.close();
  });

  it("refuses an answer sealed after the approval's deadline", async () => {
    const ledger = await Ledger.open({
      store: new MemoryStore(),
      signingKey: ephemeralKey(),
      checkpointSeconds: 0,
    });
    const late = decision("alice", "approve");
    await expect(
      ledger.append({ ...late, data: { ...late.data, expiresAt: "2000-01-01T00:00:00.000Z" } }),
    ).rejects.toMatchObject({ code: "APPROVAL_EXPIRED" });
    await ledger.close();
  });

  it("a SQLite ledger from before the check gets its decisions' rows when opened for writing", async () => {
    const db = join(tempDir(), "ledger.db");
    const key = ephemeralKey();
    const first = await Ledger.open({ store: await SqliteStore.open(db), signingKey: key });
    await first.append(decision("alice", "approve"));
    await first.close();
    const raw = new Database(db);
    raw.exec("DROP TABLE approval_decisions");
    raw.close();
    const again = await Ledger.open({ store: await SqliteStore.open(db), signingKey: key });
    await expect(again.append(decision("bob", "deny"))).rejects.toMatchObject({ code: "APPROVAL_CLOSED" });
    await again.close();
  });
});
