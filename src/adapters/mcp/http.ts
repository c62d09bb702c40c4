// The downstream Streamable HTTP listener: Warden or identity-provider bearer tokens (agent or admin), RFC 9728 metadata, one gateway session per MCP session id,
// served by the same hono app factory as `warden start` (site check, authentication, body limit, errors).
import { randomUUID } from "node:crypto";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Context } from "hono";
import { WardenError } from "../../errors.js";
import type { ProviderTokens } from "../../identity/index.js";
import { inexactInteger } from "../../json.js";
import type { LedgerStore } from "../../ledger/index.js";
import {
  type AuthEnv,
  authenticate,
  bearerToken,
  type ConnectionLimits,
  createHttpApp,
  DEFAULT_TOKEN_LIMITS,
  type ErrorRenderer,
  listenApp,
  type Principal,
  providerBearer,
  readText,
  requireRole,
  TokenCache,
  type TokenLimitOptions,
  TokenLimits,
} from "../../server/index.js";
import { INEXACT_INTEGER_MESSAGE, idOf, NOT_A_MESSAGE, RPC } from "./errors.js";
import { SessionEventStore } from "./event-store.js";
import type { McpGateway } from "./gateway.js";
import { StandaloneStream } from "./standalone-stream.js";

export interface HttpListener {
  url: string;
  port: number;
  /** The connection limits the listener keeps until it stops (a policy reload does not change them). */
  connections: ConnectionLimits;
  /**
   * Ends the sessions with no request in flight and no stream open for longer than `mcp.idleTimeout`
   * at `now`; runs by itself every so often. Resolves with how many it ended.
   */
  closeIdle(now?: number): Promise<number>;
  /** Ends every session opened with this token (a revoked token); resolves with how many. */
  endSessionsOf(tokenId: string, reason: string): Promise<number>;
  /**
   * Ends the sessions of tokens revoked since (by `warden token revoke` or any process on the store);
   * runs by itself every REVOCATION_CHECK_MS. Resolves with how many sessions it ended.
   */
  endRevoked(): Promise<number>;
  close(): Promise<void>;
}

export interface HttpListenerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Browser origins allowed besides the gateway's own, read per request (the policy may reload). */
  allowedOrigins: () => readonly string[];
  /** How many MCP sessions one token may hold open at once (each runs its own upstream servers). */
  maxSessionsPerToken: () => number;
  /** How long a session may sit with nothing open before it is ended. */
  idleTimeoutMs: () => number;
  /** The identity provider's verifier, when the policy names one (read per request: it may reload). */
  provider?: () => ProviderTokens | null;
  /** This endpoint's public URL, the RFC 9728 resource (default: the listener's own URL). */
  resource?: () => string | null;
  /**
   * Per-token budgets of requests, body bytes and requests in progress, as `warden start`'s, read per
   * request (DEFAULT_TOKEN_LIMITS, with a byte burst of at least maxBodyBytes so one largest message passes).
   */
  tokenLimits?: () => Partial<TokenLimitOptions>;
  /** Connection limits over DEFAULT_CONNECTION_LIMITS, read once: the listener keeps them. */
  connections?: Partial<ConnectionLimits>;
}

interface Entry {
  transport: WebStandardStreamableHTTPServerTransport;
  /** Holds what goes on the standalone stream until the client opens it with GET. */
  standalone: StandaloneStream;
  /** The principal (token) that opened it; only it may use the session. */
  owner: string;
  /** Requests and streams of this session still open (a live SDK client keeps its GET stream open). */
  open: number;
  /** When the last of them ended (or the session started). */
  quietSince: number;
  end(reason: string): Promise<void>;
}

/** How often the tokens holding sessions are checked for revocation (the token cache's lifetime too). */
const REVOCATION_CHECK_MS = 5_000;
export const MCP_PATH = "/mcp";
const PRM_PATH = "/.well-known/oauth-protected-resource";

/** Errors on the MCP endpoint are JSON-RPC errors, the Warden code in `data.code`. */
const renderRpcError: ErrorRenderer = (c, e) =>
  rpcError(c, e.status, e.status >= 500 ? RPC.internalError : RPC.invalidRequest, e.message, e.code);

export async function listenHttp(
  gateway: McpGateway,
  store: LedgerStore,
  options: HttpListenerOptions,
): Promise<HttpListener> {
  const sessions = new Map<string, Entry>();
  /** Sessions open or being opened, by principal id. */
  const held = new Map<string, number>();
  /** The principals that hold sessions, to ask whether their credential still holds. */
  const holders = new Map<string, Principal>();
  const tokens = new TokenCache(store);

  const app = createHttpApp<AuthEnv>({
    listenHost: options.host,
    allowedOrigins: options.allowedOrigins,
    renderError: renderRpcError,
    notFoundMessage: `not found; the MCP endpoint is ${MCP_PATH}`,
  });
  const provider = options.provider ?? (() => null);
  let origin = "";
  const resourceUrl = () => options.resource?.() ?? `${origin}${MCP_PATH}`;
  // RFC 9728 §3.1: the metadata of a resource with a path is at the well-known prefix plus that path.
  const metadataUrl = () => {
    const r = new URL(resourceUrl());
    return `${r.origin}${PRM_PATH}${r.pathname === "/" ? "" : r.pathname}`;
  };
  // With a provider, a 401 tells MCP clients where to learn how to get a token (MCP authorization spec).
  const challenge = () =>
    provider() === null ? 'Bearer realm="warden"' : `Bearer resource_metadata="${metadataUrl()}"`;
  const authenticated = authenticate(
    [
      providerBearer(provider, {
        audience: () => [resourceUrl(), ...(provider()?.config.audience ?? [])],
        delegate: true,
        challenge,
      }),
      bearerToken(tokens),
    ],
    {
      challenge,
      // One token's flood of messages, or of requests left open (a body trickled, a call that waits),
      // must not hold the gateway for the others.
      limits: new TokenLimits(() => ({
        byteBurst: Math.max(DEFAULT_TOKEN_LIMITS.byteBurst, options.maxBodyBytes),
        ...options.tokenLimits?.(),
      })),
    },
  );

  // OAuth 2.0 Protected Resource Metadata (RFC 9728) naming the provider that issues tokens for this endpoint.
  const protectedResource = (c: Context) => {
    const verifier = provider();
    if (verifier === null)
      return c.json({ error: { code: "NOT_FOUND", message: "no identity provider is configured" } }, 404);
    return c.json({
      resource: resourceUrl(),
      authorization_servers: [verifier.config.issuer],
      bearer_methods_supported: ["header"],
      resource_name: "Warden MCP gateway",
    });
  };
  app.get(PRM_PATH, protectedResource);
  app.get(`${PRM_PATH}/*`, protectedResource);

  app.all(MCP_PATH, authenticated, requireRole("agent", "admin"), async (c) => {
    const principal = c.var.principal;
    let body: unknown;
    if (c.req.method === "POST") {
      const text = await readText(c, options.maxBodyBytes);
      try {
        body = JSON.parse(text);
      } catch {
        return rpcError(c, 400, RPC.parseError, "parse error: the body is not JSON", "INVALID_REQUEST");
      }
      if (Array.isArray(body)) {
        // A batch is refused whole when one of its messages is not JSON-RPC, each request answered.
        if (body.length === 0 || !body.every(isMessage))
          return c.json(body.length === 0 ? invalidMessage(null) : body.map(idOf).map(invalidMessage), 400);
        // A batch is refused whole: which of its messages held the integer cannot be told once parsed.
        const ids = body.map(requestId).filter((id) => id !== undefined);
        if (ids.length > 0 && inexactInteger(text) !== null) return c.json(ids.map(inexactRefusal));
      } else {
        // -32600 with the message's id, as over stdio (the SDK's transport would say -32700, id null).
        if (!isMessage(body)) return c.json(invalidMessage(idOf(body)), 400);
        const id = requestId(body);
        if (id !== undefined && inexactInteger(text) !== null) return c.json(inexactRefusal(id));
      }
    } else if (!["GET", "DELETE"].includes(c.req.method)) {
      // Whether or not it names a session (the SDK's transport answers only those).
      return c.json(
        { jsonrpc: "2.0", id: null, error: { code: RPC.invalidRequest, message: "method not allowed" } },
        405,
        { allow: "GET, POST, DELETE" },
      );
    }
    const sessionId = c.req.header("mcp-session-id");
    if (sessionId !== undefined) {
      const entry = sessions.get(sessionId);
      if (!entry) throw new WardenError("SESSION_NOT_FOUND", "session not found");
      if (entry.owner !== principal.id)
        throw new WardenError("FORBIDDEN", "the session belongs to another token");
      // A refreshed provider token: its expiry, not the first one's, says whether the sessions may go on.
      if (holders.has(principal.id)) holders.set(principal.id, principal);
      entry.open++;
      const response = await entry.transport
        .handleRequest(c.req.raw, { parsedBody: body })
        .catch((err: unknown) => {
          quiet(entry);
          throw err;
        });
      // A fresh GET stream (not one resumed with Last-Event-ID) is the standalone one.
      if (c.req.method === "GET" && response.status === 200 && !c.req.header("last-event-id"))
        entry.standalone.opened();
      return whenSent(response, () => quiet(entry));
    }
    if (c.req.method !== "POST")
      throw new WardenError("INVALID_REQUEST", "no session: POST an initialize request first");
    return openSession(c, principal, body);
  });

  const quiet = (entry: Entry) => {
    entry.open--;
    entry.quietSince = Date.now();
  };

  const openSession = async (c: Context<AuthEnv>, principal: Principal, body: unknown): Promise<Response> => {
    // Each session starts its own upstream servers: one token must not be able to start them without end.
    const max = options.maxSessionsPerToken();
    // SDK clients never send DELETE on close: a token at its limit first gives up its quietest session
    // that nothing is connected to (an abandoned one), so reconnecting never locks it out.
    if ((held.get(principal.id) ?? 0) >= max) await replaceQuietest(principal.id);
    const count = held.get(principal.id) ?? 0;
    if (count >= max) {
      throw new WardenError(
        "RATE_LIMITED",
        `this token already holds ${count} MCP sessions (mcp.maxSessionsPerToken); end one with DELETE`,
      );
    }
    held.set(principal.id, count + 1);
    holders.set(principal.id, principal);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (held.get(principal.id) ?? 1) - 1;
      if (left > 0) held.set(principal.id, left);
      else {
        held.delete(principal.id);
        holders.delete(principal.id);
      }
    };
    let attached = false;
    try {
      const transport: WebStandardStreamableHTTPServerTransport =
        new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          // SSE events carry ids, so a client that lost its connection resumes with Last-Event-ID.
          eventStore: new SessionEventStore(),
          onsessioninitialized: (id) =>
            void sessions.set(id, {
              transport,
              standalone,
              owner: principal.id,
              open: 0,
              quietSince: Date.now(),
              end,
            }),
        });
      const standalone = new StandaloneStream(transport);
      const { gate, closed, end } = gateway.attach(transport, {
        tokenAgent: principal.role === "agent" ? principal.agent : null,
        mayNameAgent: principal.role === "admin",
        headers: Object.fromEntries(c.req.raw.headers),
        verifiedUser: principal.verifiedUser ?? null,
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
        const response = await transport.handleRequest(c.req.raw, { parsedBody: body });
        failed = false;
        return response;
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

  const replaceQuietest = async (owner: string): Promise<void> => {
    let quietest: Entry | undefined;
    for (const e of sessions.values())
      if (e.owner === owner && e.open === 0 && (!quietest || e.quietSince < quietest.quietSince))
        quietest = e;
    await quietest?.end("replaced: the token reached mcp.maxSessionsPerToken");
  };
  const closeIdle = async (now = Date.now()): Promise<number> => {
    const limit = options.idleTimeoutMs();
    const idle = [...sessions.values()].filter((e) => e.open === 0 && now - e.quietSince > limit);
    await Promise.all(idle.map((e) => e.end("idle timeout")));
    return idle.length;
  };
  const endSessionsOf = async (owner: string, reason: string): Promise<number> => {
    const owned = [...sessions.values()].filter((e) => e.owner === owner);
    await Promise.all(owned.map((e) => e.end(reason)));
    return owned.length;
  };
  const endRevoked = async (): Promise<number> => {
    let ended = 0;
    for (const [id, principal] of [...holders]) {
      if (await principal.stillValid()) continue;
      // No new request may pass on a cached lookup of the revoked token either.
      tokens.forget(id);
      ended += await endSessionsOf(id, "token revoked");
    }
    return ended;
  };
  const revokeTimer = setInterval(() => void endRevoked().catch(() => undefined), REVOCATION_CHECK_MS);
  revokeTimer.unref();
  // Often enough that a session outlives its timeout by at most a tenth of it (and at most a minute).
  const idleTimer = setInterval(
    () => void closeIdle().catch(() => undefined),
    Math.min(60_000, Math.max(1_000, options.idleTimeoutMs() / 10)),
  );
  idleTimer.unref();

  const listening = await listenApp(app, {
    host: options.host,
    port: options.port,
    connections: options.connections,
  });
  origin = listening.origin;
  return {
    url: `${listening.origin}${MCP_PATH}`,
    port: listening.port,
    connections: listening.connections,
    closeIdle,
    endSessionsOf,
    endRevoked,
    close: async () => {
      clearInterval(idleTimer);
      clearInterval(revokeTimer);
      await Promise.all([...sessions.values()].map((e) => e.transport.close().catch(() => undefined)));
      await listening.close();
    },
  };
}

/** The id of a JSON-RPC request (a message with a method and an id), else undefined. */
function requestId(body: unknown): string | number | undefined {
  if (typeof body !== "object" || body === null || !("method" in body)) return undefined;
  return idOf(body) ?? undefined;
}

const isMessage = (value: unknown): boolean => JSONRPCMessageSchema.safeParse(value).success;

/** The answer to a message that is not JSON-RPC 2.0. */
function invalidMessage(id: string | number | null) {
  return {
    jsonrpc: "2.0",
    id,
    error: { code: RPC.invalidRequest, message: NOT_A_MESSAGE },
  };
}

/** The answer to a request holding an integer JSON.parse rounded. */
function inexactRefusal(id: string | number) {
  return { jsonrpc: "2.0", id, error: { code: RPC.invalidParams, message: INEXACT_INTEGER_MESSAGE } };
}

function rpcError(c: Context, status: number, rpc: number, message: string, code: string): Response {
  return c.json({ jsonrpc: "2.0", id: null, error: { code: rpc, message, data: { code } } }, status as 400);
}

/** The response, with `done` called once its body is wholly sent or the client goes away. */
function whenSent(response: Response, done: () => void): Response {
  const body = response.body;
  if (body === null) {
    done();
    return response;
  }
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  const reader = body.getReader();
  const relayed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          finish();
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        finish();
        controller.error(err);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason);
    },
  });
  return new Response(relayed, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
