// The detect stage's configuration: the `detect:`, `tools:` (labels) and `intents:` sections and what they compile to.
import * as z from "zod";
import { compileGlobs, glob, globs } from "../config/index.js";
import { canaryConfig } from "./detectors/canary/config.js";
import { label } from "./detectors/config.js";
import { dlpConfig } from "./detectors/dlp/config.js";
import { driftConfig } from "./detectors/drift/config.js";
import { flowConfig } from "./detectors/flow/config.js";
import { intentConfig } from "./detectors/intent/config.js";
import { rateConfig } from "./detectors/rate/config.js";

/** Entries of the per-tool label and per-intent caches before they are cleared. */
const CACHE_LIMIT = 10_000;

/**
 * Every detector's config half: registering a detector is adding it here (its factory in
 * detectors/index.ts is then required by the compiler). The order is the order of the keys of `detect:`
 * and of the `suppress:` detector names.
 */
export const DETECTOR_CONFIGS = [
  dlpConfig,
  canaryConfig,
  flowConfig,
  intentConfig,
  driftConfig,
  rateConfig,
] as const;

type AnyDetectorConfig = (typeof DETECTOR_CONFIGS)[number];
type NamesOf<T extends readonly { name: string }[]> = { -readonly [I in keyof T]: T[I]["name"] };
export type DetectorName = AnyDetectorConfig["name"];
/** Every detector, by the name `detect:` and suppressions use (the engine runs one per name). */
export const DETECTOR_NAMES = DETECTOR_CONFIGS.map((c) => c.name) as NamesOf<typeof DETECTOR_CONFIGS>;

/** Each detector's compiled settings under its name; a detector absent from `detect:` is off. */
export type DetectorSettings = { [C in AnyDetectorConfig as C["name"]]: ReturnType<C["compile"]> };

/** The `tools:` labels of one tool: data it reads, places it sends to. */
export interface ToolLabels {
  reads: readonly string[];
  sends: readonly string[];
}

/** The policy's `detect:`, `tools:` and `intents:` sections, compiled: each detector's settings and the lookups they share. */
export interface DetectSettings extends DetectorSettings {
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

/** Each detector's entry under its name, optional (absent: off), in the registry's order. */
const detectors = Object.fromEntries(DETECTOR_CONFIGS.map((c) => [c.name, c.schema.optional()])) as {
  [C in AnyDetectorConfig as C["name"]]: z.ZodOptional<C["schema"]>;
};

/** `detect:` — the detectors that are on, their actions and options, and suppressions. */
export const detectSchema = z.strictObject({
  ...detectors,
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
  const settings = Object.fromEntries(
    // Each config compiles its own entry: `c` and `detect[c.name]` belong together.
    DETECTOR_CONFIGS.map((c) => [c.name, (c.compile as (doc: unknown) => unknown)(detect[c.name])]),
  ) as DetectorSettings;
  return {
    ...settings,
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
