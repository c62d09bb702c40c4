// The detect stage's configuration: the `detect:`, `tools:` (labels) and `intents:` sections and what they compile to.
import * as z from "zod";
import { compileGlobs, glob, globs, ID_PATTERN, id, jsonPath, pathScope } from "../config/index.js";

/** Entries of the per-tool label and per-intent caches before they are cleared. */
const CACHE_LIMIT = 10_000;

/** What a detector finding does: record it, record an alert, or turn the call into ask / deny. */
export type DetectAction = "log" | "alert" | "ask" | "deny";
/** Every detector, by the name `detect:` and suppressions use (the engine runs one per name). */
export const DETECTOR_NAMES = ["dlp", "canary", "flow", "intent", "drift", "rate"] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** The `tools:` labels of one tool: data it reads, places it sends to. */
export interface ToolLabels {
  reads: readonly string[];
  sends: readonly string[];
}

/** One `detect.flow` rule, compiled. */
export interface FlowRuleSpec {
  id: string;
  /** Label read earlier in the session; null for a provenance rule. */
  afterReads: string | null;
  /** Provenance rule: argument values seen in earlier results (`email`: email addresses only). */
  fromResults: "any" | "email" | null;
  /** Source scope: the result's tool, the path of the value in that result, the tool's `reads:` labels. */
  fromTools: ((tool: string) => boolean) | null;
  fromPaths: ((path: string) => boolean) | null;
  fromLabels: readonly string[] | null;
  toSends: string | null;
  toTools: ((tool: string) => boolean) | null;
  /** Sink scope: only values found at or below these argument paths count. */
  toPaths: ((path: string) => boolean) | null;
  action: DetectAction;
  reason: string;
}

/** The policy's `detect:`, `tools:` and `intents:` sections, compiled; a detector absent from `detect:` is off. */
export interface DetectSettings {
  dlp: {
    action: DetectAction;
    secrets: boolean;
    pii: readonly ("email" | "phone" | "card" | "iban")[];
    piiAction: DetectAction;
    maxExternalBytes: number;
  } | null;
  canary: { action: DetectAction } | null;
  flow: readonly FlowRuleSpec[];
  intent: { action: DetectAction } | null;
  drift: { action: DetectAction; threshold: number; minObservations: number } | null;
  rate: { action: DetectAction; factor: number; minMinutes: number; minCalls: number } | null;
  /** The labels of a tool (every `tools:` glob that matches it, merged); cached. */
  labelsOf(tool: string): ToolLabels;
  /** Tool globs the session intent needs for this agent, or null when no `intents:` entry applies. */
  intentTools(intent: string, agent: string): ((tool: string) => boolean) | null;
  /**
   * The reason of a suppression in force for this detector, tool and agent at `now`, or null. `hosts`
   * are the hosts of the URLs in the call's arguments (a `hosts:` suppression needs one, all listed).
   */
  suppressed(
    detector: DetectorName,
    call: { tool: string; agent: string; hosts: () => readonly string[] },
    now: number,
  ): string | null;
}

const detectAction = z.enum(["log", "alert", "ask", "deny"]);
/** Detectors that score behaviour after the fact only raise alerts; they never refuse a call. */
const alertAction = z.enum(["log", "alert"]);
const label = z.string().regex(ID_PATTERN, "a label uses only letters, digits and _ . : -");
const labels = z.union([label, z.array(label)]).transform((v) => (Array.isArray(v) ? v : [v]));

/**
 * Data labels of a tool: what it reads, where it sends (e.g. `sends: external`); and the JSON Schema of
 * its arguments, against which `when:` conditions of the rules for that tool are type-checked.
 */
export const toolsSchema = z.record(
  glob,
  z.strictObject({
    reads: labels.optional(),
    sends: labels.optional(),
    args: z
      .record(z.string(), z.json())
      .refine((s) => s.type === undefined || s.type === "object", {
        error: "an args schema describes an object: `type: object` with `properties`",
      })
      .optional(),
  }),
);

const flowRule = z
  .strictObject({
    id,
    /** Fires after the session read data with this label … */
    after: z.strictObject({ reads: label }).optional(),
    /**
     * … or when an argument holds a value that came out of an earlier tool result (`email`: only email
     * addresses; default any), from these tools, these paths of their results, tools with these labels.
     */
    from: z
      .strictObject({
        results: z.enum(["any", "email"]).optional(),
        tools: globs.optional(),
        paths: z.array(jsonPath).min(1).optional(),
        labels: z.array(label).min(1).optional(),
      })
      .optional(),
    /** The calls it applies to: tools with this `sends:` label and/or these tool globs; these argument paths. */
    to: z.strictObject({
      sends: label.optional(),
      tools: globs.optional(),
      paths: z.array(jsonPath).min(1).optional(),
    }),
    action: detectAction.default("ask"),
    reason: z.string().optional(),
  })
  .refine((r) => (r.after === undefined) !== (r.from === undefined), {
    error: "a flow rule has either `after` or `from`, not both",
  })
  .refine((r) => r.to.sends !== undefined || r.to.tools !== undefined, {
    error: "a flow rule's `to` needs `sends` or `tools`",
  });

const dlp = z.strictObject({
  action: detectAction.default("deny"),
  secrets: z.boolean().default(true),
  pii: z.array(z.enum(["email", "phone", "card", "iban"])).default(["card", "iban"]),
  piiAction: detectAction.optional(),
  /** Arguments larger than this (bytes of JSON) to a tool labelled `sends: external` raise a finding. */
  maxExternalBytes: z
    .int()
    .positive()
    .default(64 * 1024),
});

/** `detect:` — the detectors that are on, their actions and options, and suppressions. */
export const detectSchema = z.strictObject({
  dlp: dlp.optional(),
  canary: z.strictObject({ action: detectAction.default("deny") }).optional(),
  flow: z.array(flowRule).optional(),
  /** Calls outside the tools the session's declared intent maps to (`intents:`). */
  intent: z.strictObject({ action: detectAction.default("alert") }).optional(),
  drift: z
    .strictObject({
      action: alertAction.default("alert"),
      /** A transition seen less often than this share of the calls after the same tool is rare. */
      threshold: z.number().gt(0).lt(1).default(0.02),
      /** Calls after a tool the baseline must hold before a rare transition raises anything. */
      minObservations: z.int().positive().default(50),
    })
    .optional(),
  rate: z
    .strictObject({
      action: alertAction.default("alert"),
      /** Alert when a minute holds more than `factor` × the agent's moving average of calls per minute. */
      factor: z.number().gt(1).default(5),
      /** Minutes of history before the average counts, and calls a minute must reach at least. */
      minMinutes: z.int().positive().default(10),
      minCalls: z.int().positive().default(20),
    })
    .optional(),
  suppress: z
    .array(
      z.strictObject({
        detector: z.enum(DETECTOR_NAMES),
        tool: glob,
        /** Only for these agents (globs); every agent when absent. */
        agents: globs.min(1).optional(),
        /** Only when every URL in the arguments goes to one of these hosts (and there is one). */
        hosts: z
          .array(
            z
              .string()
              .regex(/^[A-Za-z0-9*?.-]{1,253}$/, "a host name glob such as api.example.com or *.example.com"),
          )
          .min(1)
          .optional(),
        reason: z.string().min(1),
        expires: z.iso.datetime({ offset: true }).or(z.iso.date()),
      }),
    )
    .optional(),
});

/**
 * `intents:` — declared-intent globs (case-insensitive, spaces allowed) → the tool globs that intent
 * needs, or `{agents, tools}` to hold only for those agents (a finance intent says nothing about devops agents).
 */
export const intentsSchema = z.record(
  z.string().min(1),
  z.union([globs, z.strictObject({ agents: globs.min(1), tools: globs })]),
);

export type DetectDocument = z.output<typeof detectSchema>;
export type ToolsDocument = z.output<typeof toolsSchema>;
export type IntentsDocument = z.output<typeof intentsSchema>;

const NO_LABELS: ToolLabels = Object.freeze({ reads: [], sends: [] });

/** The detect settings: absent detectors are off; labels and intent lookups cached per name. */
export function compileDetect(
  detect: DetectDocument = {},
  tools: ToolsDocument = {},
  intents: IntentsDocument = {},
): DetectSettings {
  const labelEntries = Object.entries(tools).map(([glob, l]) => ({ matches: compileGlobs([glob]), l }));
  const labelCache = new Map<string, ToolLabels>();
  const intentEntries = Object.entries(intents).map(([pattern, entry]) => ({
    matches: intentMatcher(pattern),
    agents: Array.isArray(entry) ? null : compileGlobs(entry.agents),
    tools: Array.isArray(entry) ? entry : entry.tools,
  }));
  const intentCache = new Map<string, ((tool: string) => boolean) | null>();
  const suppressions = (detect.suppress ?? []).map((s) => ({
    detector: s.detector,
    matches: compileGlobs([s.tool]),
    agents: s.agents === undefined ? null : compileGlobs(s.agents),
    hosts: s.hosts === undefined ? null : s.hosts.map(hostMatcher),
    reason: s.reason,
    expires: Date.parse(s.expires),
  }));
  const dlp = detect.dlp;
  return {
    dlp: dlp ? { ...dlp, piiAction: dlp.piiAction ?? dlp.action } : null,
    canary: detect.canary ?? null,
    flow: (detect.flow ?? []).map((r) => ({
      id: r.id,
      afterReads: r.after?.reads ?? null,
      fromResults: r.from === undefined ? null : (r.from.results ?? "any"),
      fromTools: r.from?.tools ? compileGlobs(r.from.tools) : null,
      fromPaths: r.from?.paths ? pathScope(r.from.paths) : null,
      fromLabels: r.from?.labels ?? null,
      toSends: r.to.sends ?? null,
      toTools: r.to.tools ? compileGlobs(r.to.tools) : null,
      toPaths: r.to.paths ? pathScope(r.to.paths) : null,
      action: r.action,
      reason: r.reason ?? `flow rule ${r.id}`,
    })),
    intent: detect.intent ?? null,
    drift: detect.drift ?? null,
    rate: detect.rate ?? null,
    labelsOf: (tool) => {
      const hit = labelCache.get(tool);
      if (hit !== undefined) return hit;
      const reads = new Set<string>();
      const sends = new Set<string>();
      for (const e of labelEntries) {
        if (!e.matches(tool)) continue;
        for (const r of e.l.reads ?? []) reads.add(r);
        for (const x of e.l.sends ?? []) sends.add(x);
      }
      const found =
        reads.size + sends.size === 0 ? NO_LABELS : Object.freeze({ reads: [...reads], sends: [...sends] });
      if (labelCache.size >= CACHE_LIMIT) labelCache.clear();
      labelCache.set(tool, found);
      return found;
    },
    intentTools: (intent, agent) => {
      if (intentEntries.length === 0) return null;
      const key = `${intent}\u0000${agent}`;
      const hit = intentCache.get(key);
      if (hit !== undefined) return hit;
      const globs = intentEntries
        .filter((e) => e.matches(intent) && (e.agents === null || e.agents(agent)))
        .flatMap((e) => e.tools);
      const found = globs.length === 0 ? null : compileGlobs(globs);
      if (intentCache.size >= CACHE_LIMIT) intentCache.clear();
      intentCache.set(key, found);
      return found;
    },
    suppressed: (detector, call, now) => {
      for (const s of suppressions) {
        if (s.detector !== detector || now >= s.expires || !s.matches(call.tool)) continue;
        if (s.agents !== null && !s.agents(call.agent)) continue;
        if (s.hosts !== null) {
          const hosts = call.hosts();
          if (hosts.length === 0 || !hosts.every((h) => s.hosts?.some((m) => m(h)))) continue;
        }
        return s.reason;
      }
      return null;
    },
  };
}

/** An intent glob matches the whole declared intent, case-insensitively; only `*` and `?` are special. */
function intentMatcher(pattern: string): (intent: string) => boolean {
  let source = "";
  for (const ch of pattern) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  const re = new RegExp(`^${source}$`, "is");
  return (intent) => re.test(intent.trim());
}

/** A host glob (`*.example.com`), matched case-insensitively against a whole, non-empty host name. */
function hostMatcher(glob: string): (host: string) => boolean {
  const source = glob
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  const re = new RegExp(`^${source}$`);
  return (host) => host !== "" && re.test(host.toLowerCase());
}
