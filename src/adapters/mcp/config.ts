// The MCP gateway's configuration: the `mcp:` section (zod fragment) and what it compiles to.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import * as z from "zod";
import { duration, upToAWeek } from "../../config/index.js";
import { type SandboxRuntime, sandboxRuntime } from "../../sandbox/config.js";
import { compileHttpLimits, type HttpLimits, httpLimitsSchema } from "../../server/config.js";

// `${env:VAR}` is VS Code's and Cursor's spelling of the same reference.
export const VARIABLE = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
// Any `${…}`: what is not a variable reference is refused, never passed on as literal text.
export const REFERENCE = /\$\{([^}]*)\}/g;

/**
 * Why a `${…}` reference in `text` cannot be expanded (VS Code's `${input:…}` prompts, `${workspaceFolder}`
 * and other client variables, malformed ones), or null when every reference is `${VAR}`, `${VAR:-default}`
 * or `${env:VAR}`. Client variables look like variable names; they are named here because the client that
 * would expand them is not the one reading this text.
 */
export function unsupportedReference(text: string): string | null {
  for (const [whole, inner = ""] of text.matchAll(REFERENCE)) {
    if (inner.startsWith("input:"))
      return `${whole} is a VS Code input, which only VS Code can ask for: put the value in an environment variable and write \${VAR}`;
    const variable = VARIABLE.exec(inner);
    if (variable === null)
      return `${whole} is not a variable reference (Warden expands \${VAR}, \${VAR:-default} and \${env:VAR})`;
    if (CLIENT_VARIABLES.has(variable[1] ?? ""))
      return `${whole} is a variable of the MCP client (VS Code, Cursor), not of the environment: write the value, or \${VAR} of an environment variable`;
  }
  return null;
}

// Client variables of VS Code and Cursor that are not environment variables.
const CLIENT_VARIABLES = new Set(["workspaceFolder", "workspaceFolderBasename", "userHome", "pathSeparator"]);

/** An MCP server name: no `__` and no trailing `_`, so `server__tool` splits one way only. */
export const MCP_SERVER_NAME = /^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$/;
const stringMap = z.record(z.string(), z.string());
/**
 * One upstream, in Warden's own form (`command` as a list) or as MCP clients write it (Claude Desktop,
 * Claude Code's .mcp.json, Cursor, VS Code): `command` a string with `args`, `type`, `url`, `headers`.
 * `${VAR}` and `${VAR:-default}` in command, args, env, url and headers are expanded at launch.
 */
const mcpServer = z
  .strictObject({
    command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    args: z.array(z.string()).optional(),
    env: stringMap.optional(),
    cwd: z.string().min(1).optional(),
    /** `stdio` for a command; `http` (or `streamable-http`) and `sse` for a url. */
    type: z.enum(["stdio", "http", "streamable-http", "sse"]).optional(),
    url: z.string().min(1).optional(),
    headers: stringMap.optional(),
    /** Launch the stdio server sandboxed (egress: rules apply); `readOnly` are host paths it may read (its code). */
    sandbox: z
      .strictObject({
        readOnly: z.array(z.string().regex(/^\//, "an absolute path")).default([]),
        /** Default: the policy's `sandbox.runtime`. */
        runtime: sandboxRuntime.optional(),
      })
      .optional(),
  })
  .refine((s) => (s.command === undefined) !== (s.url === undefined), {
    error: "an MCP server has either `command` (stdio) or `url` (Streamable HTTP or SSE), not both",
  })
  .refine((s) => s.url === undefined || /^(?:https?:\/\/|\$\{)/.test(s.url), {
    error: "url must be an http(s) URL, or start with an environment reference",
  })
  .refine((s) => s.args === undefined || s.command !== undefined, { error: "`args` needs a `command`" })
  .refine((s) => s.type === undefined || (s.type === "stdio") === (s.command !== undefined), {
    error: "type stdio goes with `command`; http and sse with `url`",
  })
  .superRefine((s, ctx) => {
    // A reference Warden cannot expand is refused when the policy loads, not passed on as literal text.
    const texts: [path: (string | number)[], text: string][] = [
      ...(typeof s.command === "string" ? [[["command"], s.command] as [string[], string]] : []),
      ...(Array.isArray(s.command) ? s.command.map((t, i) => [["command", i], t] as [number[], string]) : []),
      ...(s.args ?? []).map((t, i) => [["args", i], t] as [(string | number)[], string]),
      ...Object.entries(s.env ?? {}).map(([k, t]) => [["env", k], t] as [string[], string]),
      ...Object.entries(s.headers ?? {}).map(([k, t]) => [["headers", k], t] as [string[], string]),
      ...(s.url === undefined ? [] : [[["url"], s.url] as [string[], string]]),
      ...(s.cwd === undefined ? [] : [[["cwd"], s.cwd] as [string[], string]]),
    ];
    for (const [path, text] of texts) {
      const why = unsupportedReference(text);
      if (why !== null) ctx.addIssue({ code: "custom", path, message: why });
    }
  });

/** Largest downstream message when the policy does not say (mcp.maxMessageBytes). */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** The `warden mcp` gateway: upstream servers, the poisoning verdict, the default identity, limits. */
const mcpFields = z.strictObject({
  servers: z
    .record(
      z.string().regex(MCP_SERVER_NAME, "a server name uses letters, digits, - and single _"),
      mcpServer,
    )
    .optional(),
  poisoning: z.enum(["block", "warn"]).optional(),
  identity: z
    .strictObject({
      agent: z.string().min(1).max(256).optional(),
      onBehalfOf: z.string().min(1).max(1024).optional(),
      intent: z.string().min(1).max(1024).optional(),
    })
    .optional(),
  timeouts: z.strictObject({ connect: duration.optional(), request: duration.optional() }).optional(),
  maxMessageBytes: z.int().min(1024).optional(),
  allowedOrigins: z
    .array(z.string().regex(/^https?:\/\/[^/\s]+$/, "an origin is scheme://host[:port], without a path"))
    .optional(),
  maxSessionsPerToken: z.int().min(1).max(100_000).optional(),
  /** An HTTP gateway session with no request or stream open this long is ended (default 30m). */
  idleTimeout: upToAWeek.optional(),
  /** Largest upstream result passed to the client, in bytes of JSON (default 16 MiB). */
  maxResultBytes: z.int().min(1024).optional(),
  /** `--listen`'s connection limits (read when it starts) and per-token budgets: the keys of `server:`. */
  listen: httpLimitsSchema.optional(),
});

export const mcpSchema = mcpFields.superRefine((mcp, ctx) => {
  // Told to wait, a client would retry a message no byte budget can hold for ever.
  const burst = mcp.listen?.perToken?.byteBurst;
  const largest = mcp.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  if (burst !== undefined && burst < largest)
    ctx.addIssue({
      code: "custom",
      path: ["listen", "perToken", "byteBurst"],
      message: `must be at least mcp.maxMessageBytes (${largest}): a largest message could never pass`,
    });
});

export type McpDocument = z.output<typeof mcpSchema>;

/**
 * One upstream MCP server of the `warden mcp` gateway. Launched by the gateway: a command (stdio) or a
 * Streamable HTTP / SSE URL, from the policy or the command line; or connected by the embedding code,
 * which brings its own transport (in-process servers, tests).
 */
export type McpServerSpec = LaunchedServer | ConnectedServer;

/** A fresh transport per gateway session (a sandboxed server is launched for that session). */
export type TransportFactory = (session: { id: string; agent: string }) => Transport | Promise<Transport>;

export interface ConnectedServer {
  name: string;
  transport: TransportFactory;
}

export interface LaunchedServer {
  name: string;
  /** argv of a stdio server; null for an HTTP one. */
  command: string[] | null;
  env: Record<string, string>;
  cwd: string | null;
  url: string | null;
  /**
   * true: the url speaks the older HTTP+SSE transport; false: Streamable HTTP; unset: Streamable HTTP,
   * then HTTP+SSE when the server refuses it with a 4xx (a `url` given without a `type`).
   */
  sse?: boolean;
  headers: Record<string, string>;
  /**
   * Run the stdio server sandboxed behind the egress proxy; null runs it directly. `runtime` null: the
   * policy's `sandbox.runtime`.
   */
  sandbox: { readOnly: string[]; runtime?: SandboxRuntime | null } | null;
}

/** The policy's `mcp:` section, defaults filled in. */
export interface McpSettings {
  servers: LaunchedServer[];
  /** What a tool definition with poisoning signals gets: hidden and refused, or only recorded. */
  poisoning: "block" | "warn";
  identity: { agent: string | null; onBehalfOf: string | null; intent: string | null };
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxMessageBytes: number;
  /** Browser origins besides the gateway's own that may reach `warden mcp --listen`. */
  allowedOrigins: string[];
  /** Open Streamable HTTP sessions one token may hold; null: the gateway's default. */
  maxSessionsPerToken: number | null;
  /** An HTTP gateway session with no request in flight and no stream open this long is ended. */
  idleTimeoutMs: number;
  /** Largest upstream result (bytes of JSON) relayed to the client; a larger one is refused and recorded. */
  maxResultBytes: number;
  /** `mcp.listen`: what the policy sets of `--listen`'s connection limits and per-token budgets. */
  listen: HttpLimits;
}

/**
 * MCP gateway defaults: block poisoned tools, 10 s to connect, 60 s per request, 4 MiB per message,
 * HTTP sessions idle 30 min end, results up to 16 MiB.
 */
export function compileMcp(mcp: McpDocument): McpSettings {
  return {
    servers: Object.entries(mcp.servers ?? {}).map(([name, s]) => ({
      name,
      command:
        s.command === undefined
          ? null
          : [...(typeof s.command === "string" ? [s.command] : s.command), ...(s.args ?? [])],
      ...(s.type === undefined || s.type === "stdio" ? {} : { sse: s.type === "sse" }),
      env: s.env ?? {},
      cwd: s.cwd ?? null,
      url: s.url ?? null,
      headers: s.headers ?? {},
      sandbox: s.sandbox ? { readOnly: [...s.sandbox.readOnly], runtime: s.sandbox.runtime ?? null } : null,
    })),
    poisoning: mcp.poisoning ?? "block",
    identity: {
      agent: mcp.identity?.agent ?? null,
      onBehalfOf: mcp.identity?.onBehalfOf ?? null,
      intent: mcp.identity?.intent ?? null,
    },
    connectTimeoutMs: mcp.timeouts?.connect ?? 10_000,
    requestTimeoutMs: mcp.timeouts?.request ?? 60_000,
    maxMessageBytes: mcp.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    allowedOrigins: mcp.allowedOrigins ?? [],
    maxSessionsPerToken: mcp.maxSessionsPerToken ?? null,
    idleTimeoutMs: mcp.idleTimeout ?? 30 * 60_000,
    maxResultBytes: mcp.maxResultBytes ?? 16 * 1024 * 1024,
    listen: compileHttpLimits(mcp.listen),
  };
}
