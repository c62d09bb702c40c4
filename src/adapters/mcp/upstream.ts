// One upstream MCP server as the gateway's client: connect (stdio or Streamable HTTP), forward requests, relay its requests back.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  ClientCapabilities,
  Implementation,
  Notification,
  Progress,
  Result,
  ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { Containment, SandboxedServer } from "../../sandbox/index.js";
import type { ConnectedServer, LaunchedServer, TransportFactory } from "./config.js";
import { type DirectOptions, DirectRequests } from "./direct-requests.js";
import { McpGatewayError } from "./errors.js";
import { expandSpec } from "./expand.js";
import { orderedDelivery } from "./ordered-delivery.js";

/** Where an upstream's own requests and notifications go: the downstream client of the same session. */
export interface DownstreamPeer {
  request(
    upstream: string,
    request: { method: string; params?: Record<string, unknown> | undefined },
    options: { signal: AbortSignal; onprogress?: (p: Progress) => void },
  ): Promise<Result>;
  notify(upstream: string, notification: Notification): Promise<void>;
}

/** The client capabilities an upstream may see: what the downstream client declared that the gateway relays. */
export function relayedCapabilities(client: ClientCapabilities): ClientCapabilities {
  const out: ClientCapabilities = {};
  if (client.sampling) out.sampling = client.sampling;
  if (client.elicitation) out.elicitation = client.elicitation;
  if (client.roots) out.roots = client.roots;
  return out;
}

/** A transport factory for a server from the policy or the command line; `${VAR}` references expand per launch. */
export function specTransport(
  configured: LaunchedServer,
  stderr: "inherit" | "ignore",
  containment: Containment,
): TransportFactory {
  if (configured.url === null && (configured.command ?? []).length === 0)
    throw new McpGatewayError("MCP_CONFIG_INVALID", `server ${configured.name} has no command`);
  return async (session) => {
    const spec = expandSpec(configured);
    if (spec.url !== null) {
      const url = URL.canParse(spec.url) ? new URL(spec.url) : null;
      if (url === null || !/^https?:$/.test(url.protocol))
        throw new McpGatewayError("MCP_CONFIG_INVALID", `server ${spec.name}: url is not an http(s) URL`);
      const requestInit = { headers: spec.headers };
      if (spec.sse === true) return new SSEClientTransport(url, { requestInit });
      const transport = new StreamableHTTPClientTransport(url, { requestInit });
      // No transport named (a `url` alone, as Cursor writes it): the older HTTP+SSE one if this is refused.
      return spec.sse === false
        ? transport
        : Object.assign(transport, { [SSE_FALLBACK]: () => new SSEClientTransport(url, { requestInit }) });
    }
    const [command = "", ...args] = spec.command ?? [];
    if (spec.sandbox === null) {
      // Only the SDK's default variables (PATH, HOME, …) plus the configured ones: Warden's own env stays out.
      const env = { ...getDefaultEnvironment(), ...spec.env };
      return new StdioClientTransport({ command, args, env, cwd: spec.cwd ?? undefined, stderr });
    }
    const server = await containment.launchServer(
      { session: session.id, agent: session.agent, server: spec.name },
      [command, ...args],
      { ...spec.env },
      spec.sandbox.readOnly,
      spec.sandbox.runtime ?? null,
    );
    return sandboxedTransport(server, stderr);
  };
}

/** On a Streamable HTTP transport whose server may speak only HTTP+SSE: makes the SSE transport to try next. */
const SSE_FALLBACK = Symbol("sseFallback");

/**
 * The SSE transport to try when a Streamable HTTP `initialize` got a 4xx (the server predates Streamable
 * HTTP: the MCP specification's backwards compatibility), or null.
 */
function sseFallback(transport: Transport, err: unknown): Transport | null {
  const make = (transport as { [SSE_FALLBACK]?: () => Transport })[SSE_FALLBACK];
  const status = err instanceof StreamableHTTPError ? err.code : undefined;
  return make !== undefined && status !== undefined && status >= 400 && status < 500 ? make() : null;
}

/** A stdio transport to a sandboxed server: bwrap's pid goes to the kill switch, close tears the sandbox down. */
function sandboxedTransport(server: SandboxedServer, stderr: "inherit" | "ignore"): Transport {
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    env: server.env,
    stderr,
  });
  const start = transport.start.bind(transport);
  const close = transport.close.bind(transport);
  transport.start = async () => {
    await start();
    server.attach(transport.pid);
  };
  transport.close = async () => {
    await close();
    await server.close();
  };
  return transport;
}

const unavailable = (name: string, err: unknown): McpGatewayError =>
  new McpGatewayError(
    "MCP_UPSTREAM_UNAVAILABLE",
    `upstream ${name} unavailable: ${err instanceof Error ? err.message : String(err)}`,
  );

/** How long a gateway session's end waits for an upstream to answer its DELETE. */
const TERMINATE_TIMEOUT_MS = 2_000;

/** A transport that can end its server-side session (Streamable HTTP: DELETE with the session id). */
interface Terminable {
  sessionId?: string | undefined;
  terminateSession(): Promise<void>;
}

const terminable = (t: Transport | null): t is Transport & Terminable =>
  t !== null && typeof (t as Partial<Terminable>).terminateSession === "function";

export class Upstream {
  readonly name: string;
  readonly client: Client;
  #alive = true;
  #transport: Transport | null = null;
  readonly #direct: DirectRequests;

  private constructor(name: string, client: Client, direct: DirectRequests) {
    this.name = name;
    this.client = client;
    this.#direct = direct;
  }

  /** Connects and initializes; rejects with MCP_UPSTREAM_UNAVAILABLE when the server cannot be reached in time. */
  static async connect(
    spec: ConnectedServer,
    session: { id: string; agent: string },
    info: { clientInfo: Implementation; capabilities: ClientCapabilities },
    peer: DownstreamPeer,
    timeoutMs: number,
    onClose: (upstream: Upstream) => void,
  ): Promise<Upstream> {
    let transport: Transport;
    try {
      transport = await spec.transport(session);
    } catch (err) {
      throw unavailable(spec.name, err);
    }
    try {
      return await Upstream.#connect(spec, transport, info, peer, timeoutMs, onClose);
    } catch (err) {
      const fallback = sseFallback(transport, err);
      if (fallback === null) throw unavailable(spec.name, err);
      return Upstream.#connect(spec, fallback, info, peer, timeoutMs, onClose).catch((again: unknown) => {
        const first = err instanceof Error ? err.message : String(err);
        throw unavailable(
          spec.name,
          `${first}; then over HTTP+SSE: ${again instanceof Error ? again.message : again}`,
        );
      });
    }
  }

  static async #connect(
    spec: ConnectedServer,
    transport: Transport,
    info: { clientInfo: Implementation; capabilities: ClientCapabilities },
    peer: DownstreamPeer,
    timeoutMs: number,
    onClose: (upstream: Upstream) => void,
  ): Promise<Upstream> {
    const client = new Client(info.clientInfo, { capabilities: relayedCapabilities(info.capabilities) });
    // Forwarded requests go straight onto the transport; the SDK client keeps the handshake and the
    // upstream's own requests and notifications.
    const direct = new DirectRequests(transport);
    const upstream = new Upstream(spec.name, client, direct);
    // Requests the upstream makes of the client (sampling, elicitation, roots) go to the downstream client.
    client.fallbackRequestHandler = (request, extra) =>
      peer.request(
        spec.name,
        { method: request.method, params: request.params },
        {
          signal: extra.signal,
          onprogress: (progress) => {
            const token = request.params?._meta?.progressToken;
            if (token === undefined) return;
            void extra.sendNotification({
              method: "notifications/progress",
              params: { ...progress, progressToken: token },
            });
          },
        },
      );
    client.fallbackNotificationHandler = (notification) => peer.notify(spec.name, notification);
    client.onclose = () => {
      upstream.#alive = false;
      direct.close();
      onClose(upstream);
    };
    // A peer's protocol errors (bad JSON, unknown progress tokens) are its problem, never a gateway crash.
    client.onerror = () => undefined;
    try {
      upstream.#transport = orderedDelivery(transport, (message) => direct.claim(message));
      await client.connect(upstream.#transport, { timeout: timeoutMs });
    } catch (err) {
      upstream.#alive = false;
      await client.close().catch(() => undefined);
      throw err;
    }
    return upstream;
  }

  get alive(): boolean {
    return this.#alive;
  }

  get capabilities(): ServerCapabilities {
    return this.client.getServerCapabilities() ?? {};
  }

  get instructions(): string | undefined {
    return this.client.getInstructions();
  }

  /** Any request, its result passed through as the upstream sent it (no schema narrowing). */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: DirectOptions,
  ): Promise<Result> {
    return this.#direct.request(method, params, options);
  }

  notify(notification: Notification): Promise<void> {
    return this.client.notification(notification);
  }

  /** Stops the connection; a Streamable HTTP upstream's session is ended with DELETE first (bounded wait). */
  async close(): Promise<void> {
    const wasAlive = this.#alive;
    this.#alive = false;
    const transport = this.#transport;
    if (wasAlive && terminable(transport) && transport.sessionId !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        transport.terminateSession().catch(() => undefined),
        new Promise((resolve) => {
          timer = setTimeout(resolve, TERMINATE_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    await this.client.close().catch(() => undefined);
  }
}
