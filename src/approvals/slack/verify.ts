// Verifies Slack's interactive requests: v0 signatures (HMAC-SHA256 of `v0:<timestamp>:<body>`), a
// 5-minute window, and no replays.
import { createHmac, timingSafeEqual } from "node:crypto";
import { WardenError } from "../../errors.js";
import type { SeenIds } from "../inbound.js";

const TOLERANCE_S = 5 * 60;
/** `v0=` and 64 lowercase hex digits: what Slack sends, and the only spelling we compare. */
const SIGNATURE = /^v0=[0-9a-f]{64}$/;

/**
 * Checks a request Slack sent to the interactivity endpoint, as Slack documents it: the
 * `X-Slack-Signature` header must equal `v0=` + hex HMAC-SHA256, keyed with the app's signing secret,
 * of `v0:` + `X-Slack-Request-Timestamp` + `:` + the raw body; the timestamp must be within 5 minutes
 * of `now`. The signature is compared in constant time. A signature accepted before is refused
 * (WEBHOOK_REPLAYED): Slack signs each delivery afresh, so only a replay repeats one. Everything else
 * is WEBHOOK_INVALID with `details.reason`; messages never quote the secret or the signature.
 *
 * @example
 * verifySlackRequest("8f742231b10e8888abcd99yyyzzz85a5", headers, rawBody, new SeenIds());
 */
export function verifySlackRequest(
  signingSecret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: string,
  seen: SeenIds,
  now: Date = new Date(),
): void {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp)
    invalid("missing_header", "X-Slack-Signature or X-Slack-Request-Timestamp is missing");
  if (!/^\d{1,12}$/.test(timestamp))
    invalid("bad_header", "X-Slack-Request-Timestamp is not a number of seconds");
  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (age > TOLERANCE_S) invalid("timestamp_too_old", "the request is more than 5 minutes old");
  if (age < -TOLERANCE_S) invalid("timestamp_too_new", "the request is more than 5 minutes ahead");
  if (!SIGNATURE.test(signature)) invalid("bad_header", "X-Slack-Signature is not v0=<hex>");
  const expected = Buffer.from(
    `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`,
  );
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    invalid("bad_signature", "X-Slack-Signature does not match the signing secret");
  }
  // Judged after the signature, so an outsider learns nothing about what was seen.
  if (seen.has(signature, now)) {
    throw new WardenError("WEBHOOK_REPLAYED", "this Slack request was already accepted");
  }
  seen.add(signature, now);
}

function invalid(reason: string, message: string): never {
  throw new WardenError("WEBHOOK_INVALID", `Slack request refused: ${message}`, { reason });
}
