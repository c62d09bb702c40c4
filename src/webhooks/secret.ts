// The one rule for a Standard Webhooks secret, wherever Warden signs (or checks) with one.
import { Webhook } from "standardwebhooks";

/** Fewer bytes than this and the HMAC key is guessable: such a secret must not sign anything. */
export const MIN_SECRET_BYTES = 16;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The signer of a `whsec_<base64>` secret (the prefix is optional), or null when the secret is not
 * strict base64 of at least MIN_SECRET_BYTES bytes. The package decodes leniently and takes a 1-byte
 * key, so the check is ours; the caller turns null into its own coded error, never quoting the secret.
 *
 * @example
 * const signer = webhookSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); // a Webhook
 * webhookSigner("whsec_AAAA"); // null: 3 bytes
 */
export function webhookSigner(secret: string): Webhook | null {
  const raw = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (!BASE64.test(raw) || Buffer.from(raw, "base64").length < MIN_SECRET_BYTES) return null;
  try {
    return new Webhook(secret);
  } catch {
    return null;
  }
}
