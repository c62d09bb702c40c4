// Outgoing signed webhooks and the HTTP helpers they share: used by export, approvals and the sandbox alike.
export { backoffDelay, type RetryOptions, retryDelay } from "./backoff.js";
export { httpPost, type PostAnswer, type PostOptions } from "./http-post.js";
export { parseRetryAfter } from "./retry-after.js";
export { MIN_SECRET_BYTES, webhookSigner } from "./secret.js";
export {
  type Attempt,
  type DeliverOptions,
  type Delivery,
  retryableStatus,
  SignedWebhook,
  type WebhookTarget,
} from "./sender.js";
