// LISTEN on the schema's notification channels; reconnects by itself and says when events may have been lost.
import { createHash } from "node:crypto";
import type pg from "pg";
import { connectClient, type PgConnectOptions } from "./postgres-connect.js";

const HEARTBEAT_MS = 5_000;

/** Notification topics. `sessions`: payload = id of a session that ended. `approvals` is reserved. */
export type Topic = "sessions" | "approvals";

/** `id` null: the listener was disconnected, so events may have been missed; drop every cached state. */
export type EventListener = (payload: string | null) => void;

/**
 * The channel of a topic: `warden.<topic>.<schema>`, so several Wardens (and test runs) in one database
 * but different schemas do not hear each other. NOTIFY channels are database-wide identifiers of at
 * most 63 bytes: a long schema name is replaced by a digest.
 */
export function channelName(topic: Topic, schema: string): string {
  const name = `warden.${topic}.${schema}`;
  return name.length <= 63
    ? name
    : `warden.${topic}.${createHash("sha256").update(schema).digest("hex").slice(0, 32)}`;
}

/** One dedicated connection that LISTENs; while it is down `live` is false and it reconnects with backoff. */
export class EventFeed {
  readonly #options: PgConnectOptions;
  readonly #listeners = new Map<Topic, Set<EventListener>>();
  #client: pg.Client | null = null;
  #live = false;
  #closed = false;
  #retry: NodeJS.Timeout | null = null;
  #backoffMs = 100;

  constructor(options: PgConnectOptions) {
    this.#options = options;
  }

  /** False while notifications may be missed: readers must not trust caches then. */
  get live(): boolean {
    return this.#live;
  }

  /** Connects and LISTENs; rejects if the first attempt fails (start-up fails closed). */
  async start(): Promise<void> {
    await this.#connect();
  }

  subscribe(topic: Topic, listener: EventListener): () => void {
    let set = this.#listeners.get(topic);
    if (!set) {
      set = new Set();
      this.#listeners.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#live = false;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = await connectClient(this.#options);
    const channels = new Map<string, Topic>();
    for (const topic of ["sessions", "approvals"] as const) {
      channels.set(channelName(topic, this.#options.schema), topic);
    }
    client.on("notification", (msg) => {
      const topic = channels.get(msg.channel);
      if (topic) this.#emit(topic, msg.payload ?? "");
    });
    const lost = () => this.#lost(client);
    client.on("error", lost);
    client.on("end", lost);
    try {
      for (const channel of channels.keys()) await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      client.removeListener("end", lost);
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#live = true;
    this.#backoffMs = 100;
    this.#startHeartbeat(client);
    // Whatever happened while nobody listened is unknown: every cache built on the feed starts over.
    for (const topic of this.#listeners.keys()) this.#emit(topic, null);
  }

  /**
   * A connection that died silently (no RST: a partition) would never say so, and the caches built
   * on it would stay stale: a cheap query every few seconds, under query_timeout, notices it.
   */
  #startHeartbeat(client: pg.Client): void {
    const beat = setInterval(() => {
      if (this.#client !== client) {
        clearInterval(beat);
        return;
      }
      client.query("SELECT 1").catch(() => this.#lost(client));
    }, HEARTBEAT_MS);
    beat.unref();
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = null;
    this.#live = false;
    client.end().catch(() => undefined);
    for (const topic of this.#listeners.keys()) this.#emit(topic, null);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect().catch(() => {
        this.#backoffMs = Math.min(this.#backoffMs * 2, 2_000);
        this.#scheduleReconnect();
      });
    }, this.#backoffMs);
    // Reconnecting must not keep a finished process alive.
    this.#retry.unref();
  }

  #emit(topic: Topic, payload: string | null): void {
    for (const listener of this.#listeners.get(topic) ?? []) {
      try {
        listener(payload);
      } catch {
        // A failing cache must not stop the feed for the others.
      }
    }
  }
}
