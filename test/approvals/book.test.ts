// The approval book polls the ledger for other processes' approval records; on SQLite it skips the read
// while no other connection has committed since its last full read.
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ApprovalBook } from "../../src/approvals/book.js";
import { SqliteStore } from "../../src/ledger/index.js";
import { onCleanup, openWarden, tempDir } from "../helpers.js";

describe("ApprovalBook polling", () => {
  it("reads again only after another connection committed", async () => {
    const file = join(tempDir(), "ledger.db");
    const mine = await SqliteStore.open(file);
    const other = await SqliteStore.open(file);
    onCleanup(async () => {
      await mine.close();
      await other.close();
    });
    const reads = vi.spyOn(mine, "query");
    const book = new ApprovalBook(mine);
    await book.poll();
    expect(reads).toHaveBeenCalledTimes(1);
    // Nobody else wrote: nothing to read.
    await book.poll();
    await book.poll();
    expect(reads).toHaveBeenCalledTimes(1);
    // This connection's own writes are not news to the poll (the book hears of them as they are appended).
    await mine.putCursor("sink", "main", 1);
    await book.poll();
    expect(reads).toHaveBeenCalledTimes(1);
    await other.putCursor("sink", "main", 2);
    await book.poll();
    expect(reads).toHaveBeenCalledTimes(2);
    await book.poll();
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("a poll asked for while a read is under way sees what was committed before it was asked for", async () => {
    const { warden, db } = await openWarden({
      default: "allow",
      rules: [{ id: "mail-asks", tool: "send_email", decision: "ask" }],
    });
    const mine = await SqliteStore.open(db);
    onCleanup(() => mine.close());
    const book = new ApprovalBook(mine);
    await book.poll();
    // A read that has fetched its rows and not finished yet (a slow store, a busy process).
    let finish = () => {};
    const read = mine.query.bind(mine);
    vi.spyOn(mine, "query").mockImplementationOnce(async (q) => {
      const rows = await read(q);
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return rows;
    });
    // Another connection commits (the session), so the next poll reads.
    const session = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "mail" });
    const underWay = book.poll();
    // Another process asks for an approval, and a decider here is told of it.
    const asked = await session.check("send_email", { to: "dave@example.com" });
    const told = book.poll();
    finish();
    await Promise.all([underWay, told]);
    expect(book.get(asked.approval!.id)?.status).toBe("pending");
  });
});

describe("ApprovalBook.pendingIn", () => {
  const ALICE = { name: "alice@sec.example.com", role: "approver" as const, via: "api" };

  it("counts a session's pending approvals; a decided or expired one stops counting at once", async () => {
    const { warden } = await openWarden({
      default: "allow",
      rules: [{ id: "mail-asks", tool: "send_email", decision: "ask" }],
      approvals: { timeout: "1m" },
    });
    const book = warden.approvals.queue.book;
    const session = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "mail" });
    const other = await warden.session({ agent: "bot", onBehalfOf: "carol@example.com", intent: "mail" });
    expect(book.pendingIn(session.id)).toBe(0);
    const a = await session.check("send_email", { to: "a@example.com" });
    const b = await session.check("send_email", { to: "b@example.com" });
    await other.check("send_email", { to: "c@example.com" });
    expect(book.pendingIn(session.id)).toBe(2);
    expect(book.pendingIn(other.id)).toBe(1);

    await warden.approvals.queue.decide(a.approval!.id, { decision: "approve", approver: ALICE });
    expect(book.pendingIn(session.id)).toBe(1);
    // Past its deadline, before anyone records the expiry.
    expect(book.pendingIn(session.id, Date.parse(b.approval!.expiresAt!) + 1)).toBe(0);
    expect(book.pendingIn(other.id)).toBe(1);
  });

  it("counts a reserved approval until its request is read or it is given up", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const book = warden.approvals.queue.book;
    book.reserve("ses_x", "apr_1");
    book.reserve("ses_x", "apr_2");
    expect(book.pendingIn("ses_x")).toBe(2);
    book.unreserve("ses_x", "apr_1");
    expect(book.pendingIn("ses_x")).toBe(1);
    book.endSession("ses_x");
    expect(book.pendingIn("ses_x")).toBe(0);
  });
});
