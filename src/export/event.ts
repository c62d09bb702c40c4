// Ledger records and signed checkpoints as export events, with ids that stay the same on every retry.
import type { Checkpoint, LedgerRecord } from "../ledger/index.js";
import type { ExportEvent } from "./types.js";

export function recordEvent(r: LedgerRecord): ExportEvent {
  return {
    id: `${r.chain}:${r.seq}`,
    type: r.kind,
    chain: r.chain,
    seq: r.seq,
    ts: r.ts,
    hash: r.hash,
    session: r.session,
    agent: r.agent,
    callId: r.callId,
    data: r.data,
  };
}

export function checkpointEvent(c: Checkpoint): ExportEvent {
  return {
    id: `${c.chain}:checkpoint:${c.seq}`,
    type: "checkpoint",
    chain: c.chain,
    seq: c.seq,
    ts: c.ts,
    hash: c.hash,
    session: null,
    agent: null,
    callId: null,
    // Everything the signature covers travels with it, so a receiver's copy can witness the ledger (verify --against).
    data: {
      signature: c.signature,
      keyId: c.keyId,
      ...(c.v === 2 ? { v: c.v, chains: { ...c.chains }, cadence: { ...c.cadence! } } : {}),
    },
  };
}
