// The downstream Streamable HTTP listener: bearer tokens (agent or admin), one gateway session per MCP session id.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { LedgerStore, TokenRow } from "../../ledger/index.js";
import { authenticate, siteCheck } from "../../server/index.js";
import { RPC } from "./errors.js";
import { SessionEventStore } from "./event-store.js";
import type { McpGateway } from "./gateway.js";

export interface HttpListener {
  url: string;
  port: number;
  /**
   * Ends the sessions with no request in flight and no stream open for longer than `mcp.idleTimeout`
   * at `now`; runs by itself every so often. Resolves with how many it ended.
   */
  closeIdle(now?: number): Promise<number>;
  /** Ends every session opened with this token (a revoked token); resolves with how many. */
  endSessionsOf(tokenId: string, reason: string): Promise<number>;
  /**
   * Ends the sessions of tokens revoked since (by `warden token revoke` or any process on the store);
   * runs by itself every TOKEN_TTL_MS. Resolves with how many sessions it ended.
   */
  endRevoked(): Promise<number>;
  close(): Promise<void>;
}

interface Entry {
  transport: StreamableHTTPServerTransport;
  token: string;
  /** Requests and streams of this session still open (a live SDK client keeps its GET stream open). */
  open: number;
  /** When the last of them ended (or the session started). */
  quietSince: number;
  end(reason: string): Promise<void>;
}

const TOKEN_TTL_MS = 5_000;
export const MCP_PATH = "/mcp";

export async function listenHttp(
  gateway: McpGateway,
  store: LedgerStore,
  options: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** Browser origins allowed besides the gateway's own, read per request (the policy may reload). */
    allowedOrigins: () => readonly string[];
    /** How many MCP sessions one token may hold open at once (each runs its own upstream servers). */
    maxSessionsPerToken: () => number;
    /** How long a session may sit with nothing open before it is ended. */
    idleTimeoutMs: () => number;
  },
): Promise<HttpListener> {
  const sessions = new Map<string, Entry>();
  /** Sessions open or being opened, by token id. */
  const held = new Map<string, number>();
  /** The digest of each token that holds sessions, to ask the store whether it was revoked. */
  const holderHashes = new Map<string, string>();
  const tokens = new Map<string, { row: TokenRow | null; until: number }>();
  const authorize = async (req: IncomingMessage): Promise<TokenRow | null> => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
    if (!match?.[1]) return null;
    const hit = tokens.get(match[1]);
    if (hit && hit.until > Date.now()) return hit.row;
    const row = await authenticate(store, match[1]);
    if (tokens.size > 10_000) tokens.clear();
    if (row) tokens.set(match[1], { row, until: Date.now() + TOKEN_TTL_MS });
    return row;
  };

  const refusedSite = siteCheck(options.host, options.allowedOrigins);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = refusedSite(req.headers.host, req.headers.origin);
    if (refused !== null) return fail(res, 403, RPC.invalidRequest, refused);
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== MCP_PATH)
      return fail(res, 404, RPC.invalidRequest, `not found; the MCP endpoint is ${MCP_PATH}`);
    const token = await authorize(req);
    if (!token) {
      res.setHeader("www-authenticate", 'Bearer realm="warden"');
      return fail(res, 401, RPC.invalidRequest, "a valid bearer token is required");
    }
    if (token.role !== "agent" && token.role !== "admin")
      return fail(res, 403, RPC.invalidRequest, "an agent or admin token is required");
    const body = req.method === "POST" ? await readBody(req, res, options.maxBodyBytes) : undefined;
    if (body === null) return;
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const entry = sessions.get(sessionId);
      if (!entry) return fail(res, 404, RPC.invalidRequest, "session not found");
      if (entry.token !== token.id)
        return fail(res, 403, RPC.invalidRequest, "the session belongs to another token");
      entry.open++;
      res.once("close", () => {
        entry.open--;
        entry.quietSince = Date.now();
      });
      return entry.transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST")
      return fail(res, 400, RPC.invalidRequest, "no session: POST an initialize request first");
    // Each session starts its own upstream servers: one token must not be able to start them without end.
    const max = options.maxSessionsPerToken();
    // SDK clients never send DELETE on close: a token at its limit first gives up its quietest session
    // that nothing is connected to (an abandoned one), so reconnecting never locks it out.
    if ((held.get(token.id) ?? 0) >= max) await replaceQuietest(token.id);
    const count = held.get(token.id) ?? 0;
    if (count >= max) {
      const why = `this token already holds ${count} MCP sessions (mcp.maxSessionsPerToken); end one with DELETE`;
      return fail(res, 429, RPC.invalidRequest, why);
    }
    held.set(token.id, count + 1);
    holderHashes.set(token.id, token.hash);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (held.get(token.id) ?? 1) - 1;
      if (left > 0) held.set(token.id, left);
      else {
        held.delete(token.id);
        holderHashes.delete(token.id);
      }
    };
    let attached = false;
    try {
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        // SSE events carry ids, so a client that lost its connection resumes with Last-Event-ID.
        eventStore: new SessionEventStore(),
        onsessioninitialized: (id) =>
          void sessions.set(id, { transport, token: token.id, open: 0, quietSince: Date.now(), end }),
      });
      const { gate, closed, end } = gateway.attach(transport, {
        tokenAgent: token.role === "agent" ? token.agent : null,
        mayNameAgent: token.role === "admin",
        headers: req.headers,
      });
      // The slot is free once the session is wholly gone, upstreams included, not when its transport
      // closes: a DELETE while the upstreams are still starting must not make room for another.
      void closed.then(release);
      attached = true;
      await gate.listen();
      // The transport drops its session on DELETE or close; so does the map.
      const gateClose = transport.onclose;
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        gateClose?.();
      };
      let failed = true;
      try {
        await transport.handleRequest(req, res, body);
        failed = false;
      } finally {
        // Not an initialize request (the transport answered 400), or it failed: nothing to keep.
        if (failed || transport.sessionId === undefined) await transport.close().catch(() => undefined);
      }
    } catch (err) {
      // Once attached, the slot goes back when the connection has ended (`closed`).
      if (!attached) release();
      throw err;
    }
  };

  const replaceQuietest = async (tokenId: string): Promise<void> => {
    let quietest: Entry | undefined;
    for (const e of sessions.values())
      if (e.token === tokenId && e.open === 0 && (!quietest || e.quietSince < quietest.quietSince))
        quietest = e;
    await quietest?.end("replaced: the token reached mcp.maxSessionsPerToken");
  };
  const closeIdle = async (now = Date.now()): Promise<number> => {
    const limit = options.idleTimeoutMs();
    const idle = [...sessions.values()].filter((e) => e.open === 0 && now - e.quietSince > limit);
    await Promise.all(idle.map((e) => e.end("idle timeout")));
    return idle.length;
  };
  const endSessionsOf = async (tokenId: string, reason: string): Promise<number> => {
    const held = [...sessions.values()].filter((e) => e.token === tokenId);
    await Promise.all(held.map((e) => e.end(reason)));
    return held.length;
  };
  const endRevoked = async (): Promise<number> => {
    let ended = 0;
    for (const [tokenId, hash] of [...holderHashes]) {
      const row = await store.tokenByHash(hash);
      if (row !== null && row.revokedAt === null) continue;
      // No new request may pass on a cached lookup of the revoked token either.
      for (const [secret, hit] of tokens) if (hit.row?.id === tokenId) tokens.delete(secret);
      ended += await endSessionsOf(tokenId, "token revoked");
    }
    return ended;
  };
  const revokeTimer = setInterval(() => void endRevoked().catch(() => undefined), TOKEN_TTL_MS);
  revokeTimer.unref();
  // Often enough that a session outlives its timeout by at most a tenth of it (and at most a minute).
  const idleTimer = setInterval(
    () => void closeIdle().catch(() => undefined),
    Math.min(60_000, Math.max(1_000, options.idleTimeoutMs() / 10)),
  );
  idleTimer.unref();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        fail(res, 500, RPC.internalError, err instanceof Error ? err.message : "internal error");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${MCP_PATH}`,
    port,
    closeIdle,
    endSessionsOf,
    endRevoked,
    close: async () => {
      clearInterval(idleTimer);
      clearInterval(revokeTimer);
      await Promise.all([...sessions.values()].map((e) => e.transport.close().catch(() => undefined)));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The parsed JSON body, or null after answering 413 / parse error; the limit holds while reading. */
async function readBody(req: IncomingMessage, res: ServerResponse, max: number): Promise<unknown | null> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > max) {
    fail(res, 413, RPC.invalidRequest, `message larger than ${max} bytes`);
    req.resume();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      fail(res, 413, RPC.invalidRequest, `message larger than ${max} bytes`);
      req.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    fail(res, 400, RPC.parseError, "parse error: the body is not JSON");
    return null;
  }
}

function fail(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }));
}
