// The zod fields every stage's config module is written with: durations, globs, ids, env names, URLs, JSON paths.
import * as z from "zod";
import { parseDuration } from "./duration.js";
import { globProblem } from "./glob.js";
import { parseJsonPath } from "./json-path.js";

/** What an id (rule, limit, flow rule, webhook, label) may hold. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;

/**
 * A duration (`500ms`, `10s`, `1m`, `1h`) read as milliseconds; `examples` is the hint a bad one gets.
 * @example
 * const timeout = durationField().optional();
 * timeout.parse("2m"); // 120000
 */
export function durationField(examples = "500ms, 10s, 1m, 1h") {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null) {
      ctx.addIssue({
        code: "custom",
        message: `bad duration ${JSON.stringify(text)} (use e.g. ${examples})`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

export const duration = durationField();

/** Approval state is read back from a week of ledger at start, so no wait or lifetime may be longer. */
export const upToAWeek = duration.refine((ms) => ms >= 1_000 && ms <= 7 * 24 * 3_600_000, {
  error: "must be between 1s and 168h",
});

/** A tool or agent name glob (see glob.ts); a bad character is an issue, so a typo cannot widen a rule. */
export const glob = z.string().superRefine((s, ctx) => {
  const problem = globProblem(s);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});
export const globs = z.array(glob);

export const id = z.string().regex(ID_PATTERN, "an id uses only letters, digits and _ . : -");

/** Secrets are never written in the policy (it is hashed into the ledger): they name an env variable. */
export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name");

/** An http(s) URL; `field` names it in the message (`url must be an http(s) URL`). */
export function httpUrl(field: string) {
  return z.url({ protocol: /^https?$/, error: `${field} must be an http(s) URL` });
}

/** A JSON path in the dialect of json-path.ts, checked as it is read. */
export const jsonPath = z.string().superRefine((s, ctx) => {
  const steps = parseJsonPath(s);
  if (typeof steps === "string") ctx.addIssue({ code: "custom", message: steps });
});
