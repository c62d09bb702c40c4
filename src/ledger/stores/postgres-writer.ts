// The one connection that writes a chain: it holds the chain's advisory lock, so a chain has one writer.
import type pg from "pg";
import { LedgerUnavailableError, WardenError } from "../../errors.js";
import { connectClient, type PgConnectOptions } from "./postgres-connect.js";

const LOCK_SQL = "SELECT pg_try_advisory_lock(hashtextextended('warden.chain/' || $1 || '/' || $2, 0)) AS ok";

/**
 * Appends run one at a time on a dedicated connection that holds a session-level advisory lock per
 * chain it writes. The lock lives exactly as long as the connection: when the connection dies (server
 * restart, pg_terminate_backend, network), the next append reconnects and must win the lock again, so
 * two processes can never both believe they write one chain.
 */
export class ChainWriter {
  readonly #options: PgConnectOptions;
  #client: pg.Client | null = null;
  #broken = false;
  /** Chains whose lock the current connection holds. */
  #locked = new Set<string>();
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: PgConnectOptions) {
    this.#options = options;
  }

  /** Takes `chain` for this writer now; LEDGER_CHAIN_LOCKED when another process writes it. */
  claim(chain: string): Promise<void> {
    return this.#serial(async () => {
      const client = await this.#connection();
      if (!(await this.#tryLock(client, chain))) throw chainLocked(chain);
    });
  }

  /** Takes the first of `${prefix}1`, `${prefix}2`, … that no other process writes. */
  claimFirstFree(prefix: string, max = 10_000): Promise<string> {
    return this.#serial(async () => {
      const client = await this.#connection();
      for (let i = 1; i <= max; i++) {
        const chain = `${prefix}${i}`;
        if (await this.#tryLock(client, chain)) return chain;
      }
      throw chainLocked(`${prefix}*`);
    });
  }

  /** Runs `fn` alone on the writer connection, holding `chain`'s lock. */
  run<T>(chain: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      const client = await this.#connection();
      if (!this.#locked.has(chain) && !(await this.#tryLock(client, chain))) {
        throw new LedgerUnavailableError(`chain ${chain} is written by another process`);
      }
      try {
        return await fn(client);
      } catch (err) {
        // The connection itself failed (reset, timeout, terminated): its locks may be gone with it.
        if (this.#broken || connectionLost(err)) this.#discard();
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail.catch(() => undefined);
    const client = this.#client;
    this.#client = null;
    // Ending the session releases its advisory locks.
    await client?.end().catch(() => undefined);
  }

  async #connection(): Promise<pg.Client> {
    if (this.#closed) throw new LedgerUnavailableError("store closed");
    if (this.#client && !this.#broken) return this.#client;
    this.#discard();
    const client = await connectClient(this.#options);
    client.on("error", () => {
      this.#broken = true;
    });
    client.on("end", () => {
      this.#broken = true;
    });
    this.#client = client;
    this.#broken = false;
    return client;
  }

  async #tryLock(client: pg.Client, chain: string): Promise<boolean> {
    if (this.#locked.has(chain)) return true;
    const res = await client.query(LOCK_SQL, [this.#options.schema, chain]);
    const ok = res.rows[0]?.ok === true;
    if (ok) this.#locked.add(chain);
    return ok;
  }

  #discard(): void {
    const client = this.#client;
    this.#client = null;
    this.#locked = new Set();
    client?.end().catch(() => undefined);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

/** True unless the server answered with an ordinary SQL error that leaves the session usable. */
export function connectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return true;
  // 08 connection, 53 resources, 57 operator intervention (terminate, shutdown), 58 system, XX internal.
  return /^(08|53|57|58|XX)/.test(code) || code === "25P03";
}

function chainLocked(chain: string): WardenError {
  return new WardenError(
    "LEDGER_CHAIN_LOCKED",
    `ledger chain ${chain} is already written by another Warden process; give each instance its own chain (--chain / WARDEN_CHAIN)`,
    { chain },
  );
}
