// Whether the dashboard's cookies are marked Secure: the browser reached Warden over https.
import type { Context } from "hono";
import type { Warden } from "../warden.js";

/**
 * True when the request came over https, or when it names the host of an https `approvals.publicUrl`:
 * behind a proxy that ends TLS the request Warden sees is plain http, but the browser is on the
 * https site, and a cookie without Secure would also go to that host over plain http, where anyone on
 * the path reads it. A forwarded-proto header is never trusted (anyone in front could set it); the
 * Host of a public URL is, because the site check admits no other names on a loopback listener and
 * a browser sends a Host only for the site it is on.
 */
export function secureCookie(c: Context, warden: Warden): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  const publicUrl = warden.policy.approvalChannels.publicUrl;
  if (publicUrl === null) return false;
  const site = new URL(publicUrl);
  const host = c.req.header("host")?.toLowerCase();
  return site.protocol === "https:" && host !== undefined && host === site.host.toLowerCase();
}
