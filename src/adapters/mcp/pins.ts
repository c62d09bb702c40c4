// Tool pins (rug-pull defence): each upstream tool's definition digest, kept as `mcp.tool.pin` records in the ledger.
import { digestJson } from "../../digest.js";
import type { JsonObject } from "../../json.js";
import type { Ledger, LedgerRecord, LedgerStore } from "../../ledger/index.js";
import { McpGatewayError } from "./errors.js";

/** What is pinned for one tool: the digest, and whether an admin approved it (else it was first seen). */
export interface Pin {
  digest: string;
  action: "pin" | "approve";
  seq: number;
  ts: string;
}

export interface ToolDefinition {
  name: string;
  description?: string | undefined;
  inputSchema?: unknown;
}

const key = (server: string, tool: string) => `${server}\u0000${tool}`;

/** The digest a pin is about: name, description and input schema, canonical JSON. */
export function definitionDigest(tool: ToolDefinition): string {
  return digestJson({
    name: tool.name,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema ?? null,
  }).digest;
}

/** Pins folded from the ledger; the latest record per (server, tool) wins. */
export class PinBook {
  readonly #store: LedgerStore;
  #pins = new Map<string, Pin>();

  constructor(store: LedgerStore) {
    this.#store = store;
  }

  /** Re-reads every pin record: another process (`warden mcp approve`) may have written one. */
  async reload(): Promise<void> {
    this.#pins = foldPins(await this.#store.query({ kinds: ["mcp.tool.pin"] }));
  }

  get(server: string, tool: string): Pin | undefined {
    return this.#pins.get(key(server, tool));
  }

  /** Appends a pin record durably, then remembers it. */
  async pin(
    ledger: Ledger,
    entry: { server: string; tool: string; digest: string; action: Pin["action"]; extra?: JsonObject },
  ): Promise<Pin> {
    const record = await ledger.append({
      kind: "mcp.tool.pin",
      session: null,
      agent: null,
      callId: null,
      data: {
        server: entry.server,
        tool: entry.tool,
        digest: entry.digest,
        action: entry.action,
        ...entry.extra,
      },
    });
    const pin: Pin = { digest: entry.digest, action: entry.action, seq: record.seq, ts: record.ts };
    this.#pins.set(key(entry.server, entry.tool), pin);
    return pin;
  }
}

function foldPins(records: LedgerRecord[]): Map<string, Pin> {
  const out = new Map<string, Pin>();
  for (const r of records) {
    const { server, tool, digest, action } = r.data;
    if (typeof server !== "string" || typeof tool !== "string" || typeof digest !== "string") continue;
    out.set(key(server, tool), {
      digest,
      action: action === "approve" ? "approve" : "pin",
      seq: r.seq,
      ts: r.ts,
    });
  }
  return out;
}

/** One row of `warden mcp tools`. */
export interface PinState {
  server: string;
  tool: string;
  pinned: string;
  action: Pin["action"];
  /** The latest definition seen that differs from the pin (a change or a poisoning finding), if any. */
  pending: string | null;
  state: "pinned" | "changed" | "poisoned";
  since: string;
}

/** Every pinned tool with its state, derived from pin records and the gateway's alerts. */
export async function pinStates(store: LedgerStore): Promise<PinState[]> {
  const pins = foldPins(await store.query({ kinds: ["mcp.tool.pin"] }));
  const alerts = await store.query({ kinds: ["alert"] });
  const out: PinState[] = [];
  for (const [k, pin] of pins) {
    const [server = "", tool = ""] = k.split("\u0000");
    let pending: { digest: string; type: string } | null = null;
    for (const a of alerts) {
      if (a.seq <= pin.seq || a.data.server !== server || a.data.tool !== tool) continue;
      if (
        a.data.type === "mcp.tool.changed" &&
        typeof a.data.seen === "string" &&
        a.data.seen !== pin.digest
      ) {
        pending = { digest: a.data.seen, type: "changed" };
      } else if (
        a.data.type === "mcp.tool.poisoning" &&
        a.data.mode === "block" &&
        typeof a.data.digest === "string"
      ) {
        pending = { digest: a.data.digest, type: "poisoned" };
      }
    }
    const state = pending === null ? "pinned" : pending.type === "changed" ? "changed" : "poisoned";
    out.push({
      server,
      tool,
      pinned: pin.digest,
      action: pin.action,
      pending: pending?.digest ?? null,
      state,
      since: pin.ts,
    });
  }
  return out.sort((a, b) => a.server.localeCompare(b.server) || a.tool.localeCompare(b.tool));
}

/** `warden mcp approve`: pins the definition last seen for a changed or blocked tool. */
export async function approveTool(
  ledger: Ledger,
  server: string,
  tool: string,
  approver: string,
): Promise<{ digest: string; previous: string }> {
  const state = (await pinStates(ledger.store)).find((s) => s.server === server && s.tool === tool);
  if (!state)
    throw new McpGatewayError("MCP_NOTHING_TO_APPROVE", `no pinned tool ${tool} on server ${server}`);
  if (state.pending === null) {
    throw new McpGatewayError(
      "MCP_NOTHING_TO_APPROVE",
      `tool ${tool} on server ${server} is pinned and unchanged`,
    );
  }
  const book = new PinBook(ledger.store);
  await book.pin(ledger, {
    server,
    tool,
    digest: state.pending,
    action: "approve",
    extra: { approver, previous: state.pinned },
  });
  return { digest: state.pending, previous: state.pinned };
}
