// The sandbox stage's configuration: the `egress:` and `sandbox:` sections (zod fragments) and what they compile to.
import * as z from "zod";
import { compileGlobs, envName, glob, httpUrl, parseEgressEntry, upToAWeek } from "../config/index.js";

/** What isolates a sandboxed command: bubblewrap namespaces (with seccomp) or gVisor's user-space kernel. */
export const sandboxRuntime = z.enum(["bubblewrap", "gvisor"]);

/**
 * A host (name, glob or IP; an IPv6 address in brackets) and optionally `:port` or `:*` (any port),
 * checked by the very parser the proxy's rules use: `*`, `a..b` or `*.*` fail at load, not at a first run.
 */
const egressEntry = z.string().superRefine((v, ctx) => {
  const parsed = parseEgressEntry(v, null);
  if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
});
/** `egress:` — where sandboxed commands and MCP servers may connect, and what a refused connection does. */
export const egressSchema = z.strictObject({
  /** Without a port an entry allows 443 and 80 only. */
  allow: z.array(egressEntry).optional(),
  /** Without a port an entry denies every port. */
  deny: z.array(egressEntry).optional(),
  /** kill-session: stop everything the session does; deny-request: refuse only that connection. */
  onViolation: z.enum(["kill-session", "deny-request"]).optional(),
  alert: z
    .strictObject({
      url: httpUrl("url"),
      secretEnv: envName,
    })
    .optional(),
});
/** `sandbox:` — the runtime, and which tools are commands run in a short-lived sandbox with which limits. */
export const sandboxSchema = z.strictObject({
  /** The runtime of every sandbox unless a command or MCP server names its own (default bubblewrap). */
  runtime: sandboxRuntime.optional(),
  /** Tools of kind `command`: run in a short-lived sandbox with these limits. */
  commands: z
    .record(
      glob,
      z.strictObject({
        timeout: upToAWeek.optional(),
        memoryMb: z.int().min(16).max(65_536).optional(),
        cpuSeconds: z.int().min(1).max(86_400).optional(),
        processes: z.int().min(1).max(65_536).optional(),
        runtime: sandboxRuntime.optional(),
      }),
    )
    .optional(),
});

export type EgressDocument = z.output<typeof egressSchema>;
export type SandboxDocument = z.output<typeof sandboxSchema>;

/** What isolates a sandboxed command: bubblewrap namespaces with seccomp, or gVisor's user-space kernel. */
export type SandboxRuntime = "bubblewrap" | "gvisor";

/** The `egress:` and `sandbox:` sections: where sandboxed commands may connect, and their limits. */
export interface ContainmentSettings {
  /** `sandbox.runtime` (default bubblewrap): sandboxed MCP servers and commands that name none. */
  runtime: SandboxRuntime;
  allow: readonly string[];
  deny: readonly string[];
  onViolation: "kill-session" | "deny-request";
  alert: { url: string; secretEnv: string } | null;
  /** The limits of a command tool, or null when `tool` is not one (it runs in process). */
  commandLimits(tool: string): {
    timeoutMs?: number;
    memoryMb?: number;
    cpuSeconds?: number;
    processes?: number;
    runtime: SandboxRuntime;
  } | null;
}

/** The `egress:` and `sandbox:` sections compiled (absent sections: bubblewrap, nothing allowed out, kill-session). */
export function compileContainment(
  egress: EgressDocument = {},
  sandbox: SandboxDocument = {},
): ContainmentSettings {
  const runtime = sandbox.runtime ?? "bubblewrap";
  const commands = Object.entries(sandbox.commands ?? {}).map(([glob, limits]) => ({
    matches: compileGlobs([glob]),
    limits: {
      ...(limits.timeout !== undefined ? { timeoutMs: limits.timeout } : {}),
      ...(limits.memoryMb !== undefined ? { memoryMb: limits.memoryMb } : {}),
      ...(limits.cpuSeconds !== undefined ? { cpuSeconds: limits.cpuSeconds } : {}),
      ...(limits.processes !== undefined ? { processes: limits.processes } : {}),
      runtime: limits.runtime ?? runtime,
    },
  }));
  return {
    runtime,
    allow: [...(egress.allow ?? [])],
    deny: [...(egress.deny ?? [])],
    onViolation: egress.onViolation ?? "kill-session",
    alert: egress.alert ?? null,
    commandLimits: (tool) => commands.find((c) => c.matches(tool))?.limits ?? null,
  };
}
