// A raw line-level client for the gateway's stdio transport: send any bytes, read JSON-RPC answers by id.
import { PassThrough } from "node:stream";
import type { McpGateway } from "../../../src/adapters/mcp/index.js";

export interface RawPeer {
  send(line: string): void;
  /** The next answer with this id (null for the answers to unreadable lines). */
  answer(id: string | number | null, ms?: number): Promise<Record<string, unknown>>;
  all: Record<string, unknown>[];
  end(): void;
  closed: Promise<void>;
}

export function rawStdio(gateway: McpGateway): RawPeer {
  const input = new PassThrough();
  const output = new PassThrough();
  const all: Record<string, unknown>[] = [];
  let buffer = "";
  const waiters: (() => void)[] = [];
  output.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
      all.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
      buffer = buffer.slice(nl + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  const closed = gateway.serveStdio({ input, output });
  const taken = new Set<Record<string, unknown>>();
  return {
    all,
    closed,
    send: (line) => input.write(line.endsWith("\n") ? line : `${line}\n`),
    end: () => input.end(),
    answer: (id, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer for id ${String(id)}`)), ms);
        const look = () => {
          const hit = all.find((m) => !taken.has(m) && m.id === id && ("result" in m || "error" in m));
          if (hit) {
            taken.add(hit);
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(look);
        };
        look();
      }),
  };
}

export const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: "init",
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});
export const INITIALIZED = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });

export const call = (id: number | string, name: string, args: unknown = {}) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
