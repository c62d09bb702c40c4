// Verifies decisions POSTed by chat-ops bots: Standard Webhooks signatures, a ±5-minute clock window, no replays.
import { timingSafeEqual } from "node:crypto";
import { WardenError } from "../errors.js";
import { webhookSigner } from "../webhooks/index.js";

/** A bot allowed to post decisions, with the Standard Webhooks secret it signs with. */
export interface Integration {
  name: string;
  /** `whsec_<base64>` (the prefix is optional). */
  secret: string;
}

export interface VerifiedRequest {
  integration: string;
  webhookId: string;
  /** The parsed JSON body; its shape is the caller's to check. */
  body: unknown;
}

/** Why a request was refused, in `details.reason` of a WEBHOOK_INVALID error. */
export type InvalidReason =
  | "missing_header"
  | "bad_header"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "bad_signature"
  | "bad_body";

const TOLERANCE_S = 5 * 60;
/** Longer ids are refused: they would only serve to fill the replay memory. */
const MAX_ID_LENGTH = 256;

/**
 * The webhook ids accepted recently, so a captured request cannot be replayed. An id is kept for
 * 10 minutes, longer than the timestamp window, so a replay is refused for its timestamp once the id
 * is forgotten. Bounded: past `max` ids the oldest is dropped (only a holder of a secret can add ids).
 */
export class SeenIds {
  // Insertion order is expiry order (one fixed lifetime), so expired ids are always at the front.
  readonly #expiry = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(options: { ttlMs?: number; max?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#max = options.max ?? 100_000;
  }

  get size(): number {
    return this.#expiry.size;
  }

  has(id: string, now = new Date()): boolean {
    this.#prune(now.getTime());
    return this.#expiry.has(id);
  }

  add(id: string, now = new Date()): void {
    this.#prune(now.getTime());
    this.#expiry.delete(id);
    this.#expiry.set(id, now.getTime() + this.#ttlMs);
    for (const oldest of this.#expiry.keys()) {
      if (this.#expiry.size <= this.#max) break;
      this.#expiry.delete(oldest);
    }
  }

  #prune(now: number): void {
    for (const [id, expiry] of this.#expiry) {
      if (expiry > now) break;
      this.#expiry.delete(id);
    }
  }
}

/**
 * Checks a request against each integration's secret and returns which one signed it. Refuses
 * (WEBHOOK_INVALID, `details.reason` says why) missing or malformed headers, a timestamp more than
 * 5 minutes from `now`, a signature no secret produced, a body that is not JSON; refuses an id that
 * was already accepted (WEBHOOK_REPLAYED). Messages never quote a secret or a signature.
 *
 * @example
 * const seen = new SeenIds();
 * const { integration, body } = verifyIntegrationRequest(
 *   [{ name: "slack-bot", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
 *   { "webhook-id": "msg_1", "webhook-timestamp": "1767225600", "webhook-signature": "v1,…" },
 *   '{"decision":"approve"}',
 *   seen,
 * );
 */
export function verifyIntegrationRequest(
  integrations: readonly Integration[],
  headers: Record<string, string | undefined>,
  rawBody: string,
  seen: SeenIds,
  now: Date = new Date(),
): VerifiedRequest {
  const h = lowerCaseKeys(headers);
  const id = required(h, "webhook-id");
  const timestamp = required(h, "webhook-timestamp");
  const signatures = required(h, "webhook-signature");
  if (id.length > MAX_ID_LENGTH)
    invalid("bad_header", `webhook-id is longer than ${MAX_ID_LENGTH} characters`);
  if (!/^\d{1,12}$/.test(timestamp)) invalid("bad_header", "webhook-timestamp is not a number of seconds");
  const seconds = Number(timestamp);
  const age = Math.floor(now.getTime() / 1000) - seconds;
  if (age > TOLERANCE_S) invalid("timestamp_too_old", "webhook-timestamp is more than 5 minutes old");
  if (age < -TOLERANCE_S) invalid("timestamp_too_new", "webhook-timestamp is more than 5 minutes ahead");

  // v1 signatures only (the header may list several, space separated, during a secret rotation).
  const given = signatures
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => Buffer.from(s.slice(3)));
  const integration = integrations.find((i) => {
    const expected = expectedSignature(i.secret, id, seconds, rawBody);
    return (
      expected !== null && given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))
    );
  });
  if (!integration) invalid("bad_signature", "the webhook-signature matches no integration's secret");

  // Replays are judged only after the signature: an outsider learns nothing about which ids were seen.
  const key = `${integration.name}\0${id}`;
  if (seen.has(key, now)) {
    throw new WardenError("WEBHOOK_REPLAYED", `webhook-id ${JSON.stringify(id)} was already accepted`, {
      integration: integration.name,
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    invalid("bad_body", "the body is not JSON");
  }
  seen.add(key, now);
  return { integration: integration.name, webhookId: id, body };
}

/** The package computes the HMAC (its key decoding and message format); a bad or weak secret matches nothing. */
function expectedSignature(secret: string, id: string, seconds: number, body: string): Buffer | null {
  const signer = webhookSigner(secret);
  return signer === null ? null : Buffer.from(signer.sign(id, new Date(seconds * 1000), body).slice(3));
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) if (typeof v === "string") out.set(k.toLowerCase(), v);
  return out;
}

function required(h: Map<string, string>, name: string): string {
  const value = h.get(name);
  if (!value) invalid("missing_header", `the ${name} header is missing`);
  return value;
}

function invalid(reason: InvalidReason, message: string): never {
  throw new WardenError("WEBHOOK_INVALID", `webhook refused: ${message}`, { reason });
}
