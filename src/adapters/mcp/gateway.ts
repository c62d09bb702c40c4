// `warden mcp` as a library: a gateway in front of MCP servers, serving stdio or Streamable HTTP clients.
import { readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { currentProviderTokens } from "../../identity/index.js";
import type { ConnectionLimits, HttpLimits, TokenLimitOptions } from "../../server/index.js";
import type { Warden } from "../../warden.js";
import type { ConnectedServer, McpServerSpec } from "./config.js";
import { McpGatewayError } from "./errors.js";
import type { HttpListener } from "./http.js";
import type { ConnectionClaims, IdentityDefaults } from "./identity.js";
import { InitGate } from "./init-gate.js";
import { PinBook } from "./pins.js";
import { ToolReviewer } from "./review.js";
import { type GatewayContext, GatewaySession } from "./session.js";
import { StdioDownstream } from "./stdio-transport.js";
import { specTransport } from "./upstream.js";

/** Open MCP sessions one token may hold over HTTP when the policy does not say (mcp.maxSessionsPerToken). */
const MAX_SESSIONS_PER_TOKEN = 16;
/** How long an HTTP session may sit with nothing open when the policy does not say (mcp.idleTimeout). */
const IDLE_TIMEOUT_MS = 30 * 60_000;
/** A policy without `mcp.listen`: every limit its default. */
const NO_LIMITS: HttpLimits = { connections: {}, tokenLimits: {} };

/** One downstream connection being served. */
export interface Attached {
  gate: InitGate;
  /** Resolves when the connection and its session are wholly gone (upstreams stopped). */
  closed: Promise<void>;
  /** Ends the connection and its session, recording `reason`; resolves once it is gone. */
  end(reason: string): Promise<void>;
}

export interface GatewayOptions {
  warden: Warden;
  /** Upstream servers; default: the policy's `mcp.servers`. A ConnectedServer brings its own transport (tests, embedding). */
  servers?: readonly McpServerSpec[];
  /** Overrides the policy's `mcp.identity`. */
  identity?: Partial<IdentityDefaults>;
  poisoning?: "block" | "warn";
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxMessageBytes?: number;
  /** Largest upstream result relayed (bytes of JSON); overrides mcp.maxResultBytes. */
  maxResultBytes?: number;
  /** Where stdio upstreams' stderr goes (default inherit: it shows up in the MCP client's server log). */
  upstreamStderr?: "inherit" | "ignore";
  /** Errors that reach no caller (a late outcome record failing); default: printed to stderr. */
  onError?: (err: unknown) => void;
}

/**
 * A gateway in front of one or more MCP servers: every tool call goes through a Warden session.
 *
 * @example
 * const warden = await Warden.open({ policy: "policy.yaml", db: ".warden/ledger.db" });
 * const gateway = await McpGateway.create({
 *   warden,
 *   servers: [{ name: "files", command: ["node", "server.js"], env: {}, cwd: null, url: null, headers: {} }],
 * });
 * await gateway.serveStdio(); // until the client disconnects
 * await gateway.close();
 * await warden.close();
 */
export class McpGateway {
  readonly #ctx: GatewayContext;
  readonly maxMessageBytes: number;
  readonly #sessions = new Set<GatewaySession>();
  readonly #listeners = new Set<HttpListener>();

  private constructor(ctx: GatewayContext, maxMessageBytes: number) {
    this.#ctx = ctx;
    this.maxMessageBytes = maxMessageBytes;
  }

  static async create(options: GatewayOptions): Promise<McpGateway> {
    const settings = options.warden.policy.mcp;
    const servers = options.servers ?? settings?.servers ?? [];
    if (servers.length === 0) {
      throw new McpGatewayError(
        "MCP_CONFIG_INVALID",
        "no upstream MCP server: name one in the policy's mcp.servers or after --",
      );
    }
    const names = new Set<string>();
    for (const s of servers) {
      if (names.has(s.name))
        throw new McpGatewayError("MCP_CONFIG_INVALID", `two upstream servers are named ${s.name}`);
      names.add(s.name);
    }
    const stderr = options.upstreamStderr ?? "inherit";
    const upstreams = servers.map(
      (s): ConnectedServer =>
        "transport" in s
          ? s
          : { name: s.name, transport: specTransport(s, stderr, options.warden.containment) },
    );
    const pins = new PinBook(options.warden.ledger.store);
    await pins.reload();
    const identity = settings?.identity ?? { agent: null, onBehalfOf: null, intent: null };
    const ctx: GatewayContext = {
      warden: options.warden,
      reviewer: new ToolReviewer(
        options.warden.ledger,
        pins,
        options.poisoning ?? settings?.poisoning ?? "block",
      ),
      upstreams,
      identity: {
        agent: options.identity?.agent ?? identity.agent,
        onBehalfOf: options.identity?.onBehalfOf ?? identity.onBehalfOf,
        intent: options.identity?.intent ?? identity.intent,
      },
      providerTokens: currentProviderTokens(() => options.warden.policy.identity.provider),
      connectTimeoutMs: options.connectTimeoutMs ?? settings?.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? settings?.requestTimeoutMs ?? 60_000,
      gatewayInfo: { name: "warden-mcp", version: packageVersion() },
      maxResultBytes: options.maxResultBytes,
      onError:
        options.onError ??
        ((err) => process.stderr.write(`warden mcp: ${err instanceof Error ? err.message : String(err)}\n`)),
    };
    return new McpGateway(ctx, options.maxMessageBytes ?? settings?.maxMessageBytes ?? 4 * 1024 * 1024);
  }

  /** Open downstream sessions. */
  get sessions(): ReadonlySet<GatewaySession> {
    return this.#sessions;
  }

  /**
   * Serves one downstream connection on `transport` (already framed: the SDK's or ours). Resolves with the
   * session once it is initialized; `closed` resolves when the connection ends for any reason.
   */
  attach(transport: Transport, claims: ConnectionClaims = {}): Attached {
    let finish!: () => void;
    const closed = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let preparing: Promise<GatewaySession> | null = null;
    const gate: InitGate = new InitGate(
      transport,
      async (request) => {
        preparing = GatewaySession.open(this.#ctx, gate, request, claims);
        const session = await preparing;
        this.#sessions.add(session);
        session.onclose = () => {
          this.#sessions.delete(session);
          finish();
        };
        // The client left while its upstreams were starting: nothing will use them.
        if (gate.closed) await session.close("client disconnected");
      },
      () => {
        // Ended before it was ready. A session still being prepared closes itself (above) and that
        // finishes; with none, or one that failed, the connection is over now.
        if (preparing === null) finish();
        else void preparing.catch(finish);
      },
    );
    // Ends the connection with a reason of the caller's (idle, replaced), whether or not it is serving yet.
    const end = async (reason: string): Promise<void> => {
      const session =
        preparing === null ? null : await (preparing as Promise<GatewaySession>).catch(() => null);
      if (session === null) await transport.close().catch(() => undefined);
      else await session.close(reason);
      await closed;
    };
    return { gate, closed, end };
  }

  /** One session over stdin/stdout (or the given streams); resolves when it ends. */
  async serveStdio(streams: { input?: Readable; output?: Writable } = {}): Promise<void> {
    const transport = new StdioDownstream(
      streams.input ?? process.stdin,
      streams.output ?? process.stdout,
      this.maxMessageBytes,
    );
    const { gate, closed } = this.attach(transport);
    await gate.listen();
    await closed;
  }

  /**
   * Streamable HTTP on host:port (default 127.0.0.1), path /mcp, bearer tokens as for `warden start`.
   * `connections` and `tokenLimits` override the policy's `mcp.listen`; its connection limits are read
   * now and kept until the listener stops, its per-token budgets at each request (a reload changes them).
   */
  async listen(
    options: {
      host?: string;
      port?: number;
      connections?: Partial<ConnectionLimits>;
      tokenLimits?: Partial<TokenLimitOptions>;
    } = {},
  ): Promise<HttpListener> {
    // Loaded on demand: a stdio gateway has no use for the HTTP stack.
    const { listenHttp } = await import("./http.js");
    const limits = () => this.#ctx.warden.policy.mcp?.listen ?? NO_LIMITS;
    const listener = await listenHttp(this, this.#ctx.warden.ledger.store, {
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 0,
      maxBodyBytes: this.maxMessageBytes,
      allowedOrigins: () => this.#ctx.warden.policy.mcp?.allowedOrigins ?? [],
      maxSessionsPerToken: () => this.#ctx.warden.policy.mcp?.maxSessionsPerToken ?? MAX_SESSIONS_PER_TOKEN,
      idleTimeoutMs: () => this.#ctx.warden.policy.mcp?.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      provider: this.#ctx.providerTokens,
      resource: () => this.#ctx.warden.policy.identity.provider?.resource ?? null,
      tokenLimits: () => ({ ...limits().tokenLimits, ...options.tokenLimits }),
      connections: { ...limits().connections, ...options.connections },
    });
    this.#listeners.add(listener);
    return listener;
  }

  /** Stops listening and ends every session (their in-flight calls get outcome records). */
  async close(): Promise<void> {
    // Sessions first: closing a listener's connections would otherwise record "client disconnected".
    const ending = [...this.#sessions].map((s) => s.close("gateway stopped"));
    await Promise.all([...this.#listeners].map((l) => l.close()));
    await Promise.all(ending);
  }
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}
