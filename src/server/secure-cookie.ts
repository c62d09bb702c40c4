// The dashboard's cookies: Secure when the browser reached Warden over https, and then also host-only by name.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
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

/**
 * The name a dashboard cookie goes by: on https with the `__Host-` prefix, which a browser accepts only
 * from this very host, Secure, with Path=/ and no Domain. Without it, another host of the same site
 * (`other.corp.example` beside `warden.corp.example`) could set a cookie of that name for the whole
 * domain, and the browser would send it here: a session of the other host's choosing (the attacker's own
 * login), or a sign-in state it started itself. A request on plain http reads only the plain name, an
 * https one only the prefixed one, so such a cookie is never read.
 */
function nameOf(name: string, secure: boolean): string {
  return secure ? `__Host-${name}` : name;
}

export interface CookieOptions {
  sameSite: "Strict" | "Lax";
  /** Seconds; none: a browser-session cookie. */
  maxAge?: number;
}

/** The dashboard's cookies of one request, named and flagged for how the browser reached Warden. */
export interface DashboardCookies {
  get(c: Context, name: string): string | undefined;
  set(c: Context, name: string, value: string, options: CookieOptions): void;
  delete(c: Context, name: string, options: CookieOptions): void;
}

/**
 * @example
 * const cookies = dashboardCookies((c) => secureCookie(c, warden));
 * cookies.set(c, "warden_session", id, { sameSite: "Strict" }); // __Host-warden_session on https
 */
export function dashboardCookies(secure: (c: Context) => boolean): DashboardCookies {
  const flags = (c: Context, options: CookieOptions) => ({
    httpOnly: true,
    path: "/",
    secure: secure(c),
    sameSite: options.sameSite,
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
  });
  return {
    get: (c, name) => getCookie(c, nameOf(name, secure(c))),
    set: (c, name, value, options) => setCookie(c, nameOf(name, secure(c)), value, flags(c, options)),
    delete: (c, name, options) => {
      deleteCookie(c, nameOf(name, secure(c)), flags(c, options));
    },
  };
}
