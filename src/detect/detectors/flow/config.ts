// The `detect.flow` rules: data read earlier, or values out of earlier results, reaching a tool that sends.
import * as z from "zod";
import { compileGlobs, globs, id, jsonPath, pathScope } from "../../../config/index.js";
import { type DetectAction, detectAction, detectorConfig, label } from "../config.js";

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

export const flowConfig = detectorConfig({
  name: "flow",
  schema: z.array(flowRule),
  compile: (doc): readonly FlowRuleSpec[] =>
    (doc ?? []).map((r) => ({
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
});
