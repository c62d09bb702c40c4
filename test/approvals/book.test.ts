// The approval book polls the ledger for other processes' approval records; on SQLite it skips the read
// while no other connection has committed since its last full read.
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ApprovalBook } from "../../src/approvals/book.js";
import { SqliteStore } from "../../src/ledger/index.js";
import { onCleanup, tempDir } from "../helpers.js";

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
});
