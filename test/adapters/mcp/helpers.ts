// Helpers for the MCP gateway tests: real upstream servers, a gateway in process, SDK clients on either side.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Client, type ClientOptions } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { LaunchedServer } from "../../../src/adapters/mcp/index.js";
import { type GatewayOptions, McpGateway } from "../../../src/adapters/mcp/index.js";
import type { LedgerRecord, RecordKind } from "../../../src/index.js";
import type { Warden } from "../../../src/warden.js";
import { onCleanup } from "../../helpers.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
export const EVERYTHING = `${root}node_modules/@modelcontextprotocol/server-everything/dist/index.js`;
export const FILESYSTEM = `${root}node_modules/@modelcontextprotocol/server-filesystem/dist/index.js`;
export const CHANGING = `${root}test/adapters/mcp/fixtures/changing-server.mjs`;
export const PROGRESS = `${root}test/adapters/mcp/fixtures/progress-server.mjs`;
/** A resource and prompt server whose listings come from its environment, logging every request it gets. */
export const RESOURCES = `${root}test/adapters/mcp/fixtures/resource-server.mjs`;
export const CLI = `${root}dist/cli/bin.js`;

/** A stdio upstream spec for `node SCRIPT ARGS…`. */
export function stdioServer(
  name: string,
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
): LaunchedServer {
  return {
    name,
    command: [process.execPath, script, ...args],
    env,
    cwd: null,
    url: null,
    headers: {},
    sandbox: null,
  };
}

/** A gateway in this process, closed after the test. */
export async function gatewayFor(
  warden: Warden,
  options: Omit<GatewayOptions, "warden">,
): Promise<McpGateway> {
  const gateway = await McpGateway.create({ warden, upstreamStderr: "ignore", ...options });
  onCleanup(() => gateway.close());
  return gateway;
}

/** An SDK Client connected to the gateway through an in-memory pair (the gateway sees a real transport). */
export async function connectInMemory(
  gateway: McpGateway,
  options: ClientOptions = {},
  claims = {},
): Promise<Client> {
  const [clientSide, gatewaySide] = InMemoryTransport.createLinkedPair();
  const { gate } = gateway.attach(gatewaySide, claims);
  await gate.listen();
  return connectClient(clientSide, options);
}

export async function connectClient(transport: Transport, options: ClientOptions = {}): Promise<Client> {
  const client = new Client({ name: "gateway-test", version: "1.0.0" }, options);
  await client.connect(transport);
  onCleanup(() => client.close());
  return client;
}

/** Ledger records of some kinds, in chain order. */
export async function records(warden: Warden, ...kinds: RecordKind[]): Promise<LedgerRecord[]> {
  return warden.ledger.store.query(kinds.length > 0 ? { kinds } : {});
}

/** Polls until `check` holds (ledger records written after a response, processes exiting). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? "").join("");
}

export function codeOf(result: unknown): unknown {
  return (result as { _meta?: Record<string, unknown> })._meta?.["warden/code"];
}

/** Every tool name, following nextCursor across pages (and across upstreams). */
export async function allTools(client: Client): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor);
  return names;
}

/** The text of a resource read's first content. */
export function servedText(read: { contents: unknown[] }): unknown {
  return (read.contents[0] as { text?: unknown } | undefined)?.text;
}

/** The requests RESOURCES logged to `log`, one line each (none when it wrote nothing). */
export function requestsSeen(log: string): string[] {
  try {
    return readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
