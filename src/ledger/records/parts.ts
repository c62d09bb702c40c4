// Zod pieces the record schemas share: JSON values, the accountability chain, effects.
import { z } from "zod";
import type { JsonValue } from "../../json.js";

/**
 * Any JSON value. Record data is JSON by construction (the ledger snapshots it with toJsonValue, the
 * verifier and readers parse it from JSON text), so this only carries the type; the fields around it
 * are what a schema checks.
 */
export const jsonValue = z.custom<JsonValue>((v) => v !== undefined).meta({ title: "JSON" });

/** A JSON object (not an array, not null). */
export const jsonObject = z.record(z.string(), jsonValue);

/** A decision's effect, as the policy gives it and as it was enforced. */
export const effect = z.enum(["allow", "deny", "ask"]);

/** One link of a session's accountability chain (identity/principal.ts). */
export const principal = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("user"), id: z.string() }),
    z.object({
      kind: z.literal("agent"),
      name: z.string(),
      team: z.string().nullable(),
      developer: z.string().nullable(),
      session: z.string(),
    }),
  ])
  .meta({ title: "Principal" });

export const principalChain = z.array(principal);
