// The body of an event as a sink writes it: Warden's own JSON shape, or an OCSF event.
import type { JsonObject } from "../json.js";
import { toOcsf } from "./ocsf.js";
import type { ExportEvent } from "./types.js";

export type BodyFormat = "json" | "ocsf";

export function formatEvent(event: ExportEvent, format: BodyFormat = "json"): JsonObject {
  if (format === "ocsf") return toOcsf(event);
  return { ...event };
}
