// Resumable streams for one HTTP gateway session: the SSE events it sent, kept so a client that lost its
// connection can reconnect with Last-Event-ID and receive what it missed (the SDK's EventStore interface).
import type { EventId, EventStore, StreamId } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

interface Stored {
  seq: number;
  streamId: StreamId;
  message: JSONRPCMessage;
  bytes: number;
}

/** Events kept per session at most, and their size: enough to bridge a dropped connection, bounded memory. */
export const EVENT_STORE_LIMITS = { events: 1_000, bytes: 8 * 1024 * 1024 };

/**
 * In memory, per session (sessions never move between processes): the newest events up to the limits.
 * An event id is `<seq>`; a client reconnecting after the events it holds were dropped gets 400 from the
 * SDK ("Invalid event ID") and starts a fresh stream.
 */
export class SessionEventStore implements EventStore {
  readonly #events: Stored[] = [];
  readonly #limits: { events: number; bytes: number };
  #seq = 0;
  #bytes = 0;

  constructor(limits = EVENT_STORE_LIMITS) {
    this.#limits = limits;
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const bytes = JSON.stringify(message).length;
    this.#seq++;
    this.#events.push({ seq: this.#seq, streamId, message, bytes });
    this.#bytes += bytes;
    while (
      this.#events.length > 1 &&
      (this.#events.length > this.#limits.events || this.#bytes > this.#limits.bytes)
    ) {
      const dropped = this.#events.shift();
      this.#bytes -= dropped?.bytes ?? 0;
    }
    return String(this.#seq);
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.#find(eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const last = this.#find(lastEventId);
    if (last === undefined) return "";
    for (const e of this.#events.slice()) {
      // The priming event (an empty message) only carries an id; it is never replayed.
      if (e.seq > last.seq && e.streamId === last.streamId && "jsonrpc" in e.message)
        await send(String(e.seq), e.message);
    }
    return last.streamId;
  }

  #find(eventId: EventId): Stored | undefined {
    if (!/^\d{1,15}$/.test(eventId)) return undefined;
    const seq = Number(eventId);
    const first = this.#events[0];
    if (first === undefined) return undefined;
    // Sequence numbers are consecutive, so an event is found by its offset from the oldest kept.
    const e = this.#events[seq - first.seq];
    return e?.seq === seq ? e : undefined;
  }
}
