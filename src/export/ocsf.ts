// Export events as OCSF 1.3 events: API Activity (6003) for tool calls, Detection Finding (2004) for alerts.
import type { JsonObject, JsonValue } from "../json.js";
import { enforcedEffect, type Severity, severityOf } from "./severity.js";
import type { ExportEvent } from "./types.js";

export const OCSF_VERSION = "1.3.0";

const API_ACTIVITY = 6003;
const DETECTION_FINDING = 2004;
const BASE_EVENT = 0;
// activity_id 99 = Other: executing a tool is none of Create/Read/Update/Delete.
const OTHER = 99;
// OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
const SEVERITY_ID: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

/** The OCSF event for `e`; kinds without an OCSF class of their own become Base Events (class 0). */
export function toOcsf(e: ExportEvent): JsonObject {
  if (e.type === "call.intent" || e.type === "call.outcome") return apiActivity(e);
  if (e.type === "alert" || e.type === "sandbox.violation") return detectionFinding(e);
  return {
    ...header(e, BASE_EVENT, 0, OTHER, SEVERITY_ID.info),
    activity_name: e.type,
    message: e.type,
    unmapped: e.data,
  };
}

function apiActivity(e: ExportEvent): JsonObject {
  const enforced = enforcedEffect(e);
  const blocked = enforced === "deny";
  const failed = e.type === "call.outcome" && e.data.status === "error";
  // API Activity has no disposition in OCSF 1.3 (its class takes no security_control profile): the
  // decision is the status and its detail; a call held for people has not succeeded or failed yet.
  const status =
    blocked || failed
      ? { status_id: 2, status: "Failure" }
      : enforced === "ask"
        ? { status_id: 99, status: "Pending approval" }
        : { status_id: 1, status: "Success" };
  return {
    ...header(e, API_ACTIVITY, 6, OTHER, SEVERITY_ID[severityOf(e)]),
    activity_name: e.type === "call.intent" ? "execute_tool intent" : "execute_tool outcome",
    ...status,
    ...(enforced ? { status_detail: `decision: ${enforced}` } : {}),
    actor: actor(e),
    api: { operation: str(e.data.tool), service: { name: "warden" }, request: { uid: e.callId ?? "" } },
    src_endpoint: { name: e.agent ?? "unknown" },
    unmapped: e.data,
  };
}

function detectionFinding(e: ExportEvent): JsonObject {
  const title = str(e.data.type ?? e.type);
  return {
    ...header(e, DETECTION_FINDING, 2, 1, SEVERITY_ID[severityOf(e)]),
    activity_name: "Create",
    ...(typeof e.data.message === "string" ? { message: e.data.message } : {}),
    finding_info: {
      uid: e.id,
      title,
      types: [title],
      ...(typeof e.data.message === "string" ? { desc: e.data.message } : {}),
    },
    actor: actor(e),
    unmapped: e.data,
  };
}

function header(e: ExportEvent, classUid: number, category: number, activity: number, severity: number) {
  return {
    class_uid: classUid,
    category_uid: category,
    activity_id: activity,
    type_uid: classUid * 100 + activity,
    severity_id: severity,
    time: Date.parse(e.ts),
    metadata: {
      version: OCSF_VERSION,
      uid: e.id,
      correlation_uid: e.callId ?? e.session ?? e.id,
      product: { name: "Warden", vendor_name: "Warden" },
      log_name: e.chain,
      sequence: e.seq,
    },
  } satisfies JsonObject;
}

function actor(e: ExportEvent): JsonObject {
  const principal = Array.isArray(e.data.principal) ? e.data.principal : [];
  const user = principal.map(obj).find((p) => p?.kind === "user");
  return {
    app_name: e.agent ?? "unknown",
    session: { uid: e.session ?? "" },
    ...(user ? { user: { name: str(user.id) } } : {}),
  };
}

function obj(v: JsonValue | undefined): JsonObject | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null;
}

function str(v: JsonValue | undefined): string {
  return typeof v === "string" ? v : JSON.stringify(v ?? null);
}
