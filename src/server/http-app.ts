// The one hono application factory behind every Warden HTTP listener (`warden start`, `warden mcp --listen`).
import type { IncomingMessage } from "node:http";
import { type Context, type Env, Hono } from "hono";
import { errorBody, type PublicError, publicError } from "./http-errors.js";
import { siteCheck } from "./site-check.js";

/** How an app answers with an error: the service's JSON body, or a JSON-RPC error for MCP. */
export type ErrorRenderer = (c: Context, error: PublicError) => Response;

export interface HttpAppOptions {
  /** The address the app is served on: a loopback listener answers only to loopback host names. */
  listenHost: string;
  /** Browser origins allowed besides the listener's own, read per request (the policy may reload). */
  allowedOrigins?: () => readonly string[];
  /** Default: the service's `{error: {code, message}}`. */
  renderError?: ErrorRenderer;
  /** What a request to an unknown path is told. */
  notFoundMessage?: string;
}

/** The service's error body. */
export const renderJsonError: ErrorRenderer = (c, e) =>
  c.json(errorBody(e.code, e.message, e.issues), e.status);

/**
 * A hono app with what every listener needs before and around its routes: the site check (DNS
 * rebinding, foreign origins) ahead of every route, unknown paths included; errors rendered from their
 * code, where an unexpected one says nothing of its cause (it may hold arguments or secrets); answers
 * that no browser or proxy stores unless their route says otherwise (they hold arguments, held values
 * and identities) and whose type is never sniffed.
 *
 * @example
 * const app = createHttpApp({ listenHost: "127.0.0.1" });
 * app.get("/hello", (c) => c.text("hi"));
 * const res = await app.request("/hello"); // 200
 */
export function createHttpApp<E extends Env>(options: HttpAppOptions): Hono<E> {
  const render = options.renderError ?? renderJsonError;
  const refusedSite = siteCheck(options.listenHost, options.allowedOrigins);
  const app = new Hono<E>();
  app.onError((err, c) => render(c, publicError(err)));
  app.notFound((c) =>
    render(c, { status: 404, code: "NOT_FOUND", message: options.notFoundMessage ?? "no such route" }),
  );
  app.use(async (c, next) => {
    await next();
    // A browser keeps in its disk cache what it is not told to forget: an approval's held arguments
    // would outlive the approval there, in clear.
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
    c.res.headers.set("x-content-type-options", "nosniff");
  });
  app.use(async (c, next) => {
    const refused = refusedSite(requestHost(c), c.req.header("origin"));
    if (refused !== null) return render(c, { status: 403, code: "FORBIDDEN", message: refused });
    return next();
  });
  return app;
}

/**
 * The authority the request names. From a socket that is its Host header alone (none: refused by a
 * loopback listener, as before). A request handed to `app.fetch` in process has no Host header; its
 * URL names the authority.
 */
function requestHost(c: Context): string | undefined {
  const host = c.req.header("host");
  if (host !== undefined) return host;
  const fromSocket = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming !== undefined;
  return fromSocket ? undefined : new URL(c.req.url).host;
}
