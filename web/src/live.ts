// One EventSource on /v1/events for the whole app; pages subscribe to the records they care about.
import { useEffect, useRef, useState } from "preact/hooks";
import type { LedgerRecord } from "./types.js";

type Listener = (record: LedgerRecord) => void;
export type LiveState = "connecting" | "live" | "offline";

const listeners = new Set<Listener>();
const stateListeners = new Set<(s: LiveState) => void>();
let source: EventSource | null = null;
let state: LiveState = "offline";
let retry: number | null = null;

function setState(next: LiveState) {
  state = next;
  for (const l of stateListeners) l(next);
}

export function connectLive(): void {
  retry = null;
  if (source) return;
  setState("connecting");
  source = new EventSource("/v1/events");
  source.addEventListener("ready", () => setState("live"));
  source.addEventListener("record", (e) => {
    let record: LedgerRecord;
    try {
      record = JSON.parse((e as MessageEvent<string>).data) as LedgerRecord;
    } catch {
      return;
    }
    for (const l of listeners) l(record);
  });
  source.onerror = () => {
    // EventSource retries by itself after a network error, but gives up on an HTTP error (a restarted
    // server, an expired session): then start over a little later, while the app still wants it.
    if (source?.readyState === EventSource.CLOSED) {
      source = null;
      retry = window.setTimeout(connectLive, 3_000);
    }
    setState("connecting");
  };
}

export function disconnectLive(): void {
  if (retry !== null) window.clearTimeout(retry);
  retry = null;
  source?.close();
  source = null;
  setState("offline");
}

/** Calls `onRecord` for each new ledger record while the component is mounted. */
export function useLiveRecords(onRecord: Listener): void {
  const ref = useRef(onRecord);
  ref.current = onRecord;
  useEffect(() => {
    const l: Listener = (r) => ref.current(r);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
}

export function useLiveState(): LiveState {
  const [s, setS] = useState<LiveState>(state);
  useEffect(() => {
    stateListeners.add(setS);
    return () => {
      stateListeners.delete(setS);
    };
  }, []);
  return s;
}
