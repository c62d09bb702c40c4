// One downstream MCP session = one Warden session: its upstream connections, its Server, its tool catalog.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  type Implementation,
  InitializeRequestSchema,
  type JSONRPCRequest,
  McpError,
  type Notification,
  type RequestId,
  type Result,
  ResultSchema,
  type ServerNotification,
  type ServerRequest,
  SetLevelRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { SessionEndedError, WardenError } from "../../errors.js";
import type { ProviderTokens } from "../../identity/index.js";
import type { Session } from "../../session.js";
import type { Warden } from "../../warden.js";
import { type CallContext, callTool, type Extra } from "./call.js";
import { mergedCapabilities, relayed } from "./capabilities.js";
import { ToolCatalog } from "./catalog.js";
import type { ConnectedServer } from "./config.js";
import { RPC } from "./errors.js";
import { type ForwardContext, forwardRequest } from "./forward.js";
import { type ConnectionClaims, type IdentityDefaults, resolveIdentity } from "./identity.js";
import type { InitGate } from "./init-gate.js";
import { OutcomeQueue } from "./outcomes.js";
import type { ToolReviewer } from "./review.js";
import { RelayScreen } from "./screen.js";
import { shownServerInfo } from "./server-info.js";
import { type DownstreamPeer, Upstream } from "./upstream.js";
import { userFromMetaToken } from "./user-token.js";

/** What every session of one gateway shares. */
export interface GatewayContext {
  warden: Warden;
  reviewer: ToolReviewer;
  upstreams: readonly ConnectedServer[];
  identity: IdentityDefaults;
  /** The policy's identity provider, to verify a user token sent in initialize's `_meta`. */
  providerTokens: () => ProviderTokens | null;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  gatewayInfo: Implementation;
  /** Overrides the policy's mcp.maxResultBytes. */
  maxResultBytes: number | undefined;
  onError: (err: unknown) => void;
}

/** Largest upstream result relayed when neither the options nor the policy say (mcp.maxResultBytes). */
const MAX_RESULT_BYTES = 16 * 1024 * 1024;

export class GatewaySession {
  readonly #ctx: GatewayContext;
  readonly session: Session;
  readonly #outcomes: OutcomeQueue;
  readonly #running = new Map<string, RequestId[]>();
  /** The tool of each downstream tools/call in flight: its secrets.results rule screens what its upstream relays. */
  readonly #toolOf = new Map<RequestId, string>();
  readonly #screen: RelayScreen;
  readonly #calls = new Set<Promise<unknown>>();
  #upstreams: Upstream[] = [];
  #server: Server | null = null;
  #catalog: ToolCatalog | null = null;
  /** Each upstream's instructions that passed review (pinned, unchanged, not poisoned). */
  readonly #instructions = new Map<string, string>();
  #initialized!: () => void;
  readonly #ready = new Promise<void>((resolve) => {
    this.#initialized = resolve;
  });
  #closing: Promise<void> | null = null;
  #unsubscribe: () => void = () => undefined;
  /** Serving; before that an end of the Warden session is remembered and open() fails with it. */
  #opened = false;
  #endedWhileOpening = false;
  onclose: (() => void) | undefined;

  private constructor(ctx: GatewayContext, session: Session) {
    this.#ctx = ctx;
    this.session = session;
    this.#outcomes = new OutcomeQueue(ctx.onError);
    this.#screen = new RelayScreen({
      screen: (value, tool) => ctx.warden.gate.screenRelayed(value, session.id, tool),
      ledger: ctx.warden.ledger,
      session: { id: session.id, agent: session.agent },
      maxBytes: () => this.#maxResultBytes(),
      onError: ctx.onError,
    });
  }

  /** Runs on the first initialize request: opens the Warden session, connects upstreams, reviews tools, serves. */
  static async open(
    ctx: GatewayContext,
    gate: InitGate,
    request: JSONRPCRequest,
    claims: ConnectionClaims,
  ): Promise<GatewaySession> {
    const init = InitializeRequestSchema.safeParse(request);
    if (!init.success) throw new McpError(RPC.invalidParams, "invalid initialize request");
    const { clientInfo, capabilities } = init.data.params;
    const meta = init.data.params._meta;
    let identity = resolveIdentity(ctx.identity, { ...claims, meta });
    // No bearer named the user (stdio): a verified token in _meta may.
    if (!claims.verifiedUser) {
      const verifiedUser = await userFromMetaToken(ctx.providerTokens(), meta, identity.agent);
      if (verifiedUser) identity = resolveIdentity(ctx.identity, { ...claims, meta, verifiedUser });
    }
    const session = await ctx.warden.session(identity);
    const self = new GatewaySession(ctx, session);
    // Ended elsewhere (idle timeout, deadline, a violation, an admin): the connection and upstreams go too.
    self.#unsubscribe = ctx.warden.onSessionEnd((id) => {
      if (id !== session.id) return;
      if (self.#opened) void self.#endedElsewhere();
      else self.#endedWhileOpening = true;
    });
    try {
      await self.#connectUpstreams({ clientInfo, capabilities });
      const prefixed = self.#upstreams.length > 1;
      self.#catalog = new ToolCatalog({
        upstreams: self.#upstreams,
        prefixed,
        reviewer: ctx.reviewer,
        context: { session: session.id, agent: session.agent },
        neverAllowed: (tool) => {
          const policy = ctx.warden.policy;
          return policy.mode !== "monitor" && policy.neverAllowed(session.agent, tool);
        },
        timeoutMs: ctx.requestTimeoutMs,
        maxResultBytes: () => self.#maxResultBytes(),
        onError: ctx.onError,
      });
      await self.#catalog.loadAll();
      await self.#reviewInstructions();
      // Ended while the upstreams started: they stop (below) and the client hears why.
      if (self.#endedWhileOpening)
        throw new McpError(RPC.internalError, "the Warden session ended while it was opening");
      self.#server = self.#createServer(prefixed, await self.#serverInfo());
      await self.#server.connect(gate);
    } catch (err) {
      await self.close("initialize failed");
      throw err;
    }
    self.#opened = true;
    return self;
  }

  get upstreams(): readonly Upstream[] {
    return this.#upstreams;
  }

  /**
   * The Warden session ended (an admin, a timeout, another process): the core pipeline has already
   * stopped its calls, so their refusals (SESSION_ENDED) reach the client before the connection closes.
   */
  async #endedElsewhere(): Promise<void> {
    await Promise.race([
      Promise.allSettled([...this.#calls]),
      new Promise((r) => setTimeout(r, 1_000).unref()),
    ]);
    await this.close("session ended");
  }

  /** Ends the session: in-flight calls are cancelled and get outcome records, upstreams close, the Warden session ends. */
  close(reason: string): Promise<void> {
    // Upstream requests still waiting for the client to finish initializing give up now.
    this.#initialized();
    // Set before any step runs: closing the transport calls back here synchronously (server.onclose).
    this.#closing ??= Promise.resolve().then(() => this.#shutDown(reason));
    return this.#closing;
  }

  async #shutDown(reason: string): Promise<void> {
    this.#unsubscribe();
    await this.#server?.close().catch(() => undefined);
    await Promise.race([
      Promise.allSettled([...this.#calls]),
      new Promise((r) => setTimeout(r, 5_000).unref()),
    ]);
    await Promise.all(this.#upstreams.map((u) => u.close()));
    await this.#outcomes.drain();
    // A session ended elsewhere is already what this step wants.
    await this.session.end(reason).catch((err: unknown) => {
      if (!(err instanceof SessionEndedError)) this.#ctx.onError(err);
    });
    this.onclose?.();
  }

  async #connectUpstreams(info: Parameters<typeof Upstream.connect>[2]): Promise<void> {
    const peer = this.#peer();
    const settled = await Promise.allSettled(
      this.#ctx.upstreams.map((spec) =>
        Upstream.connect(
          spec,
          { id: this.session.id, agent: this.session.agent },
          info,
          peer,
          this.#ctx.connectTimeoutMs,
          () => this.#upstreamClosed(),
        ),
      ),
    );
    for (const s of settled) if (s.status === "fulfilled") this.#upstreams.push(s.value);
    const failed = settled.find((s) => s.status === "rejected");
    // Fail closed and whole: a session that silently lacks one of its servers would confuse the model.
    if (failed) throw failed.reason;
  }

  /** Server instructions reach the model like a tool description: pinned and checked, left out when not ok. */
  async #reviewInstructions(): Promise<void> {
    const context = { session: this.session.id, agent: this.session.agent };
    for (const upstream of this.#upstreams) {
      const text = upstream.instructions;
      if (text === undefined || text === "") continue;
      const subject = { server: upstream.name, item: "instructions" as const, name: "" };
      let review = await this.#ctx.reviewer.reviewItem(subject, { instructions: text }, context);
      if (review.state !== "ok") {
        // An approval may have been written since this process read its pins.
        await this.#ctx.reviewer.refresh();
        review = await this.#ctx.reviewer.reviewItem(subject, { instructions: text }, context);
      }
      if (review.state === "ok") this.#instructions.set(upstream.name, text);
    }
  }

  #upstreamClosed(): void {
    if (this.#closing || this.#upstreams.length === 0) return;
    // After the current turn: the dead upstream's pending requests must fail as "closed" before the
    // session's own shutdown cancels them.
    if (this.#upstreams.every((u) => !u.alive)) setImmediate(() => void this.close("upstream closed"));
  }

  /** With one upstream its name and version (checked); with several the gateway's own. */
  #serverInfo(): Promise<Implementation> {
    const single = this.#upstreams.length === 1 ? this.#upstreams[0] : undefined;
    if (single === undefined) return Promise.resolve(this.#ctx.gatewayInfo);
    return shownServerInfo(single.name, single.client.getServerVersion(), {
      ledger: this.#ctx.warden.ledger,
      poisoning: this.#ctx.reviewer.poisoning,
      context: { session: this.session.id, agent: this.session.agent },
      gatewayInfo: this.#ctx.gatewayInfo,
    });
  }

  #maxResultBytes(): number {
    return this.#ctx.maxResultBytes ?? this.#ctx.warden.policy.mcp?.maxResultBytes ?? MAX_RESULT_BYTES;
  }

  #createServer(prefixed: boolean, info: Implementation): Server {
    const single = this.#upstreams.length === 1 ? this.#upstreams[0] : undefined;
    const shown = this.#instructions;
    const instructions = single
      ? shown.get(single.name)
      : this.#upstreams
          .filter((u) => shown.has(u.name))
          .map((u) => `## ${u.name}\n${shown.get(u.name)}`)
          .join("\n\n") || undefined;
    const capabilities = mergedCapabilities(this.#upstreams);
    const server = new Server(info, { capabilities, instructions });
    const maxResultBytes = () => this.#maxResultBytes();
    const forward: ForwardContext = {
      upstreams: this.#upstreams,
      prefixed,
      timeoutMs: this.#ctx.requestTimeoutMs,
      maxResultBytes,
      track: this.#track,
      reviewer: this.#ctx.reviewer,
      context: { session: this.session.id, agent: this.session.agent },
    };
    const call: CallContext = {
      session: this.session,
      catalog: this.#catalogOrThrow(),
      outcomes: this.#outcomes,
      ledger: this.#ctx.warden.ledger,
      gate: this.#ctx.warden.gate,
      timeoutMs: this.#ctx.requestTimeoutMs,
      maxResultBytes,
      track: this.#track,
    };
    server.fallbackRequestHandler = (request, extra) => this.#dispatch(call, forward, request, extra);
    if (capabilities.logging) {
      server.setRequestHandler(SetLevelRequestSchema, (request, extra) =>
        forwardRequest(forward, "logging/setLevel", request.params, extra),
      );
    }
    server.fallbackNotificationHandler = async (notification) => {
      if (notification.method !== "notifications/roots/list_changed") return;
      await Promise.all(
        this.#upstreams.filter((u) => u.alive).map((u) => u.notify(notification).catch(() => undefined)),
      );
    };
    server.oninitialized = () => this.#initialized();
    server.onclose = () => void this.close("client disconnected");
    server.onerror = () => undefined;
    return server;
  }

  async #dispatch(
    call: CallContext,
    forward: ForwardContext,
    request: JSONRPCRequest,
    extra: Extra,
  ): Promise<Result> {
    const params = request.params as Record<string, unknown> | undefined;
    const tool = request.method === "tools/call" && typeof params?.name === "string" ? params.name : null;
    // Everything the handler sends the client besides its result (progress) passes the relay screen.
    const screened = this.#screen.extra(extra, tool);
    // Every request is activity (sessions.idleTimeout), not only tool calls, which the check itself counts.
    if (request.method !== "tools/call") {
      await this.session.touch().catch((err: unknown) => {
        if (err instanceof SessionEndedError)
          throw new McpError(RPC.connectionClosed, "the Warden session has ended", { code: err.code });
        throw err;
      });
    }
    if (request.method === "tools/call") {
      if (tool !== null) this.#toolOf.set(extra.requestId, tool);
      const running = callTool(call, params, screened);
      this.#calls.add(running);
      void running
        .catch(() => undefined)
        .finally(() => {
          this.#calls.delete(running);
          this.#toolOf.delete(extra.requestId);
        });
      return running;
    }
    if (request.method === "tools/list") {
      const cursor = typeof params?.cursor === "string" ? params.cursor : undefined;
      return this.#catalogOrThrow()
        .page(cursor, extra.signal)
        .catch((err: unknown) => {
          throw err instanceof RangeError ? new McpError(RPC.invalidParams, err.message) : err;
        });
    }
    // What the upstream answers reaches the model like a tool result: it passes the same screen.
    return this.#screen.answer(request.method, forwardRequest(forward, request.method, params, screened));
  }

  #catalogOrThrow(): ToolCatalog {
    if (this.#catalog === null) throw new McpError(RPC.internalError, "session not ready");
    return this.#catalog;
  }

  readonly #track = (upstream: string, requestId: RequestId): (() => void) => {
    const list = this.#running.get(upstream) ?? [];
    list.push(requestId);
    this.#running.set(upstream, list);
    return () => {
      const at = list.indexOf(requestId);
      if (at !== -1) list.splice(at, 1);
    };
  };

  /** An upstream's own requests and notifications, sent on the stream of the downstream request it is serving. */
  #peer(): DownstreamPeer {
    const related = (upstream: string) => this.#running.get(upstream)?.at(-1);
    // Screened by the rule of the tool call the upstream is serving, else by the policy-wide one.
    const toolFor = (upstream: string): string | null => {
      const id = related(upstream);
      return (id !== undefined && this.#toolOf.get(id)) || null;
    };
    return {
      request: async (upstream, request, options) => {
        let params: typeof request.params;
        try {
          params = this.#screen.screened(request.method, request.params, toolFor(upstream));
        } catch (err) {
          if (!(err instanceof WardenError)) throw err;
          this.#screen.dropped(err, request.method);
          throw new McpError(RPC.internalError, err.message, { code: err.code });
        }
        await this.#ready;
        const server = this.#server;
        if (server === null || this.#closing) throw new McpError(RPC.connectionClosed, "downstream closed");
        const message = { method: request.method, params };
        return server.request(relayed<ServerRequest>(message), ResultSchema, {
          ...options,
          relatedRequestId: related(upstream),
          timeout: this.#ctx.requestTimeoutMs,
        });
      },
      notify: async (upstream, notification: Notification) => {
        if (notification.method === "notifications/tools/list_changed") {
          await this.#catalog?.loadAll().catch(this.#ctx.onError);
        }
        const params = this.#screen.params(notification.method, notification.params, toolFor(upstream));
        if (params === null) return;
        // Nothing reaches the client before its initialize result and its `initialized` notification.
        await this.#ready;
        const server = this.#server;
        if (server === null || this.#closing) return;
        const message = { method: notification.method, params };
        await server
          .notification(relayed<ServerNotification>(message), { relatedRequestId: related(upstream) })
          .catch(() => undefined);
      },
    };
  }
}
