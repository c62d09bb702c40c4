// Pins (rug-pull defence): the digest of everything a client and model see of an upstream — tools, prompts,
// resources, resource templates, server instructions — kept as `mcp.tool.pin` records in the ledger.
import { digestJson } from "../../digest.js";
import type { JsonObject } from "../../json.js";
import { type Ledger, type LedgerRecord, type LedgerStore, parseRecord } from "../../ledger/index.js";
import { McpGatewayError } from "./errors.js";

/** What a pin is about. `instructions` is the server's initialize instructions (one per server, name ""). */
export type PinItem = "tool" | "prompt" | "resource" | "resource-template" | "instructions";

export const PIN_ITEMS: readonly PinItem[] = [
  "tool",
  "prompt",
  "resource",
  "resource-template",
  "instructions",
];

/** One pinned thing of one server: a tool or prompt by name, a resource or template by URI. */
export interface PinSubject {
  server: string;
  item: PinItem;
  name: string;
}

/**
 * How a digest was computed. 1: a tool's name, description and input schema only (pins written before
 * every field was pinned); 2: every field of `pinnedFields`. A scheme-1 pin whose old digest still
 * matches is rewritten as scheme 2 on sight, without an alert (see docs/mcp.md, "Pins written before").
 */
export type PinScheme = 1 | 2;
export const PIN_SCHEME: PinScheme = 2;

/** What is pinned for one subject: the digest, and whether an admin approved it (else it was first seen). */
export interface Pin {
  digest: string;
  action: "pin" | "approve";
  scheme: PinScheme;
  /** The pinned fields (scheme 2 records), for showing what changed. */
  definition: JsonObject | null;
  seq: number;
  ts: string;
}

export interface ToolDefinition {
  name: string;
  description?: string | undefined;
  inputSchema?: unknown;
}

export const pinKey = (s: PinSubject): string => `${s.server}\u0000${s.item}\u0000${s.name}`;

/**
 * The fields of a definition a pin covers: for tools, prompts and templates all of them (title,
 * annotations such as destructiveHint, outputSchema, _meta, arguments …); for a resource the ones that
 * describe it, not its size or lastModified, which change with its content.
 */
export function pinnedFields(item: PinItem, definition: JsonObject): JsonObject {
  if (item !== "resource") return definition;
  const out: JsonObject = {};
  for (const k of ["uri", "name", "title", "description", "mimeType"]) {
    const v = definition[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The digest a scheme-2 pin holds: canonical JSON of the pinned fields. */
export function pinDigest(item: PinItem, definition: JsonObject): string {
  return digestJson(pinnedFields(item, definition)).digest;
}

/** The scheme-1 digest of a tool (name, description, input schema), to recognise pins written before scheme 2. */
export function legacyToolDigest(tool: ToolDefinition): string {
  return digestJson({
    name: tool.name,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema ?? null,
  }).digest;
}

/** The subject of a pin or alert record; records from before scheme 2 name only `tool`. */
export function subjectOf(data: JsonObject): PinSubject | null {
  const { server } = data;
  if (typeof server !== "string") return null;
  const item = typeof data.item === "string" ? data.item : "tool";
  if (!PIN_ITEMS.includes(item as PinItem)) return null;
  const name = item === "tool" && typeof data.tool === "string" ? data.tool : data.name;
  if (typeof name !== "string") return null;
  return { server, item: item as PinItem, name };
}

/** Pins folded from the ledger; the latest record per subject wins. */
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

  get(subject: PinSubject): Pin | undefined {
    return this.#pins.get(pinKey(subject));
  }

  /** Appends a pin record durably, then remembers it. */
  async pin(
    ledger: Ledger,
    entry: PinSubject & {
      digest: string;
      action: Pin["action"];
      scheme: PinScheme;
      definition: JsonObject | null;
      extra?: JsonObject;
    },
  ): Promise<Pin> {
    const record = await ledger.append({
      kind: "mcp.tool.pin",
      session: null,
      agent: null,
      callId: null,
      data: {
        server: entry.server,
        item: entry.item,
        name: entry.name,
        // Kept for readers of records from before other items were pinned.
        ...(entry.item === "tool" ? { tool: entry.name } : {}),
        digest: entry.digest,
        scheme: entry.scheme,
        action: entry.action,
        definition: entry.definition,
        ...entry.extra,
      },
    });
    const pin: Pin = {
      digest: entry.digest,
      action: entry.action,
      scheme: entry.scheme,
      definition: entry.definition,
      seq: record.seq,
      ts: record.ts,
    };
    this.#pins.set(pinKey(entry), pin);
    return pin;
  }
}

function foldPins(records: LedgerRecord[]): Map<string, Pin> {
  const out = new Map<string, Pin>();
  for (const r of records) {
    const read = parseRecord(r, "mcp.tool.pin");
    const subject = read.ok ? subjectOf(r.data) : null;
    if (!read.ok || subject === null) continue;
    const { digest, action, scheme, definition } = read.record.data;
    // Pins written before schemes and definitions were recorded are scheme 1, without a definition.
    out.set(pinKey(subject), {
      digest,
      action,
      scheme: scheme ?? 1,
      definition: definition ?? null,
      seq: r.seq,
      ts: r.ts,
    });
  }
  return out;
}

export interface Finding {
  kind: string;
  excerpt: string;
}

/** One row of `warden mcp tools`. */
export interface PinState extends PinSubject {
  /** The name, for tools (rows of other items carry their name in `name`). */
  tool: string;
  pinned: string;
  action: Pin["action"];
  /** The latest definition seen that differs from the pin (a change or a poisoning finding), if any. */
  pending: string | null;
  state: "pinned" | "changed" | "poisoned";
  /** Poisoning findings of the pending definition (a changed definition may have some too). */
  findings: Finding[];
  /** The pinned fields, and the pending ones, where the records carry them (for the diff). */
  pinnedDefinition: JsonObject | null;
  pendingDefinition: JsonObject | null;
  pendingScheme: PinScheme;
  since: string;
}

/** Every pin with its state, derived from pin records and the gateway's alerts. */
export async function pinStates(store: LedgerStore): Promise<PinState[]> {
  const pins = foldPins(await store.query({ kinds: ["mcp.tool.pin"] }));
  const alerts = await store.query({ kinds: ["alert"] });
  const out: PinState[] = [];
  for (const [k, pin] of pins) {
    const [server = "", item = "tool", name = ""] = k.split("\u0000");
    let pending: {
      digest: string;
      type: "changed" | "poisoned";
      definition: JsonObject | null;
      scheme: PinScheme;
    } | null = null;
    const findingsOf = new Map<string, Finding[]>();
    for (const a of alerts) {
      if (a.seq <= pin.seq) continue;
      const subject = subjectOf(a.data);
      if (subject === null || pinKey(subject) !== k) continue;
      const definition = objectOr(a.data.definition);
      const scheme: PinScheme = a.data.scheme === 2 ? 2 : 1;
      if (
        a.data.type === "mcp.tool.changed" &&
        typeof a.data.seen === "string" &&
        a.data.seen !== pin.digest
      ) {
        pending = { digest: a.data.seen, type: "changed", definition, scheme };
      } else if (a.data.type === "mcp.tool.poisoning" && typeof a.data.digest === "string") {
        findingsOf.set(a.data.digest, findingList(a.data.findings));
        if (a.data.mode === "block" && (pin.digest !== a.data.digest || pin.action !== "approve"))
          pending = { digest: a.data.digest, type: "poisoned", definition, scheme };
      }
    }
    const findings = pending ? (findingsOf.get(pending.digest) ?? []) : [];
    // A changed definition that also carries findings is shown as poisoned: that is what the reviewer must weigh.
    const state = pending === null ? "pinned" : findings.length > 0 ? "poisoned" : pending.type;
    out.push({
      server,
      item: item as PinItem,
      name,
      tool: name,
      pinned: pin.digest,
      action: pin.action,
      pending: pending?.digest ?? null,
      state,
      findings,
      pinnedDefinition: pin.definition,
      pendingDefinition: pending?.definition ?? null,
      pendingScheme: pending?.scheme ?? PIN_SCHEME,
      since: pin.ts,
    });
  }
  return out.sort(
    (a, b) =>
      a.server.localeCompare(b.server) || a.item.localeCompare(b.item) || a.name.localeCompare(b.name),
  );
}

function objectOr(value: unknown): JsonObject | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}

function findingList(value: unknown): Finding[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((f) =>
    typeof f === "object" && f !== null && typeof f.kind === "string"
      ? [{ kind: f.kind, excerpt: typeof f.excerpt === "string" ? f.excerpt : "" }]
      : [],
  );
}

/** `warden mcp approve`: pins the definition last seen for a changed or blocked subject. */
export async function approvePin(
  ledger: Ledger,
  subject: PinSubject,
  approver: string,
  options: { force?: boolean } = {},
): Promise<{ digest: string; previous: string; state: PinState }> {
  const what = describeSubject(subject);
  const state = (await pinStates(ledger.store)).find((s) => pinKey(s) === pinKey(subject));
  if (!state) throw new McpGatewayError("MCP_NOTHING_TO_APPROVE", `no pinned ${what}`);
  if (state.pending === null)
    throw new McpGatewayError("MCP_NOTHING_TO_APPROVE", `${what} is pinned and unchanged`);
  if (state.findings.length > 0 && options.force !== true) {
    const kinds = state.findings.map((f) => f.kind).join(", ");
    throw new McpGatewayError(
      "MCP_APPROVAL_REFUSED",
      `${what} has poisoning findings (${kinds}); review them and approve with --force if it is safe`,
    );
  }
  const book = new PinBook(ledger.store);
  await book.pin(ledger, {
    ...subject,
    digest: state.pending,
    action: "approve",
    scheme: state.pendingScheme,
    definition: state.pendingDefinition,
    extra: {
      approver,
      previous: state.pinned,
      ...(state.findings.length > 0 ? { forced: true, findings: state.findings.map((f) => ({ ...f })) } : {}),
    },
  });
  return { digest: state.pending, previous: state.pinned, state };
}

/** Approves a tool (see approvePin); kept for callers that only pin tools. */
export function approveTool(
  ledger: Ledger,
  server: string,
  tool: string,
  approver: string,
  options: { force?: boolean } = {},
): Promise<{ digest: string; previous: string; state: PinState }> {
  return approvePin(ledger, { server, item: "tool", name: tool }, approver, options);
}

/** "tool greet on server files", "the instructions of server files", … */
export function describeSubject(s: PinSubject): string {
  if (s.item === "instructions") return `the instructions of server ${s.server}`;
  return `${s.item} ${s.name} on server ${s.server}`;
}
