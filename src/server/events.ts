// GET /v1/events: every new ledger record as a server-sent event, whichever process wrote it.
import { Hono } from "hono";
import type { Ledger, LedgerRecord } from "../ledger/index.js";
import { type AuthEnv, requireRole } from "./auth.js";
import type { RouteDeps } from "./routes.js";

export const POLL_MS = 300;
export const HEARTBEAT_MS = 15_000;
/** Events a client may fall behind by before it is dropped (its EventSource reconnects and re-reads). */
export const CLIENT_BUFFER = 1024;
/**
 * Bytes a client may fall behind by, whatever the count: a record holds a call's arguments (up to a
 * 1 MiB body), so 1,024 of them held for a client that stopped reading could take a gigabyte.
 */
export const CLIENT_BUFFER_BYTES = 4 * 1024 * 1024;
const PAGE = 500;

type Listener = (records: readonly LedgerRecord[]) => void;

/**
 * One reader of new records for all clients: this ledger's own appends arrive at once; records other
 * processes write (the CLI, another `warden start` on the same file) are found by polling each chain
 * from the last seq delivered, only while someone listens. Delivery is in seq order per chain, each
 * record once.
 */
export class RecordFeed {
  readonly #ledger: Ledger;
  readonly #pollMs: number;
  readonly #listeners = new Set<Listener>();
  /** Last seq delivered per chain; a chain absent here started after the feed did, so it is read from 1. */
  #delivered = new Map<string, number>();
  #ready: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #unsubscribe: (() => void) | null = null;

  constructor(ledger: Ledger, pollMs = POLL_MS) {
    this.#ledger = ledger;
    this.#pollMs = pollMs;
  }

  /** Adds a listener of new records; returns the function that removes it. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0) this.#stop();
    };
  }

  /** How many clients listen now. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /** Resolves once the starting positions are read (records after that point will be delivered). */
  ready(): Promise<void> {
    return this.#ready ?? Promise.resolve();
  }

  #start(): void {
    this.#ready = this.#readHeads().catch(() => undefined);
    this.#unsubscribe = this.#ledger.onAppend((records) => this.#fromAppend(records));
    this.#timer = setInterval(() => void this.#poll(), this.#pollMs);
    this.#timer.unref();
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#ready = null;
    this.#delivered = new Map();
  }

  async #readHeads(): Promise<void> {
    const store = this.#ledger.store;
    const delivered = new Map<string, number>();
    for (const chain of await store.chains()) delivered.set(chain, (await store.head(chain))?.seq ?? 0);
    this.#delivered = delivered;
  }

  /** Own appends go out at once when they follow what was delivered; after a gap, polling reads in order. */
  #fromAppend(records: readonly LedgerRecord[]): void {
    if (this.#listeners.size === 0) return;
    const first = records[0];
    if (!first) return;
    const last = this.#delivered.get(first.chain);
    if (last === undefined || first.seq !== last + 1) {
      void this.#poll();
      return;
    }
    this.#emit(records);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#listeners.size === 0) return;
    this.#polling = true;
    try {
      await this.#ready;
      const store = this.#ledger.store;
      for (const chain of await store.chains()) {
        for (;;) {
          const from = (this.#delivered.get(chain) ?? 0) + 1;
          const page = await store.readChain(chain, from, PAGE);
          this.#emit(page);
          if (page.length < PAGE || this.#listeners.size === 0) break;
        }
      }
    } catch {
      // A failed read is retried on the next tick; clients just see the record a little later.
    } finally {
      this.#polling = false;
    }
  }

  #emit(records: readonly LedgerRecord[]): void {
    const fresh = records.filter((r) => r.seq > (this.#delivered.get(r.chain) ?? 0));
    if (fresh.length === 0) return;
    for (const r of fresh) this.#delivered.set(r.chain, Math.max(r.seq, this.#delivered.get(r.chain) ?? 0));
    for (const listener of this.#listeners) listener(fresh);
  }
}

const encoder = new TextEncoder();

export interface StreamOptions {
  heartbeatMs?: number;
  /**
   * Asked at every heartbeat: false (a revoked token, an ended dashboard session) closes the stream,
   * so a stream opened before a revocation does not outlive it.
   */
  stillAllowed?: () => Promise<boolean>;
  /** Which records this listener may see (all when absent). */
  visible?: (record: LedgerRecord) => boolean;
}

/** The SSE stream of one client: records, a heartbeat comment, and a queue bounded in events and bytes. */
export function eventStream(feed: RecordFeed, options: StreamOptions = {}): ReadableStream<Uint8Array> {
  let cleanup: () => void = () => undefined;
  return new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        let closed = false;
        const close = () => {
          if (closed) return;
          cleanup();
          controller.close();
        };
        const send = (text: string) => {
          if (closed) return;
          // A client that stopped reading is dropped rather than buffered without end.
          if ((controller.desiredSize ?? 0) <= 0) return close();
          controller.enqueue(encoder.encode(text));
        };
        const unsubscribe = feed.subscribe((records) => {
          for (const r of records)
            if (options.visible?.(r) ?? true)
              send(`event: record\nid: ${r.chain}:${r.seq}\ndata: ${JSON.stringify(r)}\n\n`);
        });
        const heartbeat = setInterval(() => {
          const check = options.stillAllowed?.() ?? Promise.resolve(true);
          check.then(
            (ok) => (ok ? send(": heartbeat\n\n") : close()),
            () => send(": heartbeat\n\n"), // a failed store read is no reason to cut a client off
          );
        }, options.heartbeatMs ?? HEARTBEAT_MS);
        heartbeat.unref();
        cleanup = () => {
          closed = true;
          clearInterval(heartbeat);
          unsubscribe();
        };
        await feed.ready();
        // Tells the client the stream is live; it carries no record.
        send("event: ready\ndata: {}\n\n");
      },
      cancel() {
        cleanup();
      },
    },
    // Each event counts as at least 4 KiB: at most CLIENT_BUFFER events and CLIENT_BUFFER_BYTES bytes.
    {
      highWaterMark: CLIENT_BUFFER_BYTES,
      size: (chunk?: Uint8Array) => Math.max(chunk?.byteLength ?? 0, CLIENT_BUFFER_BYTES / CLIENT_BUFFER),
    },
  );
}

/** GET /v1/events: the live feed of the dashboard. */
export function eventsRoutes({ warden, authenticated }: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const feed = new RecordFeed(warden.ledger);
  app.get("/", authenticated, requireRole("auditor", "approver", "admin"), (c) => {
    const principal = c.var.principal;
    const stream = eventStream(feed, {
      // Approvers may not read the ledger: their stream carries approval records only.
      ...(principal.role === "approver"
        ? { visible: (r: LedgerRecord) => r.kind.startsWith("approval.") }
        : {}),
      stillAllowed: () => principal.stillValid(),
    });
    return c.body(stream, 200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
  });
  return app;
}
