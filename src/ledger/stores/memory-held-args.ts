// Sealed approval arguments kept in memory, for the memory store (tests, throwaway ledgers).
import type { HeldArgsRow, HeldArgsTable } from "../types.js";

export class MemoryHeldArgs implements HeldArgsTable {
  readonly #rows = new Map<string, HeldArgsRow>();

  async put(row: HeldArgsRow): Promise<void> {
    this.#rows.set(row.approvalId, { ...row });
  }

  async get(approvalId: string, now: string): Promise<HeldArgsRow | null> {
    const row = this.#rows.get(approvalId);
    return row && row.expiresAt > now ? { ...row } : null;
  }

  async delete(approvalId: string): Promise<void> {
    this.#rows.delete(approvalId);
  }

  async deleteSession(session: string): Promise<void> {
    for (const [id, row] of this.#rows) if (row.session === session) this.#rows.delete(id);
  }

  async deleteExpired(now: string): Promise<number> {
    let n = 0;
    for (const [id, row] of this.#rows) {
      if (row.expiresAt <= now) {
        this.#rows.delete(id);
        n++;
      }
    }
    return n;
  }

  /** For tests: how many rows are held. */
  get size(): number {
    return this.#rows.size;
  }
}
