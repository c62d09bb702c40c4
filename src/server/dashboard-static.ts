// The dashboard's files (dist/web, built by scripts/build-web.mjs) with strict security headers.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context, Env, Hono } from "hono";
import { errorBody } from "./http-errors.js";

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Headers every dashboard response carries: no inline code, no framing, no sniffing, no referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** Pages of the single-page app: each serves index.html and the app routes in the browser. */
export const SPA_ROUTES = [
  "/",
  "/login",
  "/feed",
  "/approvals",
  "/approvals/:id",
  "/sessions",
  "/sessions/:id",
  "/agents",
  "/agents/:name",
  "/calls/:id",
  "/integrity",
  "/alerts",
  "/ledger",
];

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json; charset=utf-8",
};

/**
 * Where the built files are: beside the compiled server (dist/server → dist/web), or, when the server
 * runs from source (tests), in dist/web of the package.
 */
export function defaultWebRoot(): string | null {
  const candidates = [new URL("../web/", import.meta.url), new URL("../../dist/web/", import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return null;
}

interface WebFiles {
  index: Buffer;
  /** Asset name → content and type; only these names are ever served, so no path can escape the folder. */
  assets: Map<string, { body: Buffer; type: string }>;
}

function loadFiles(root: string): WebFiles {
  const assets = new Map<string, { body: Buffer; type: string }>();
  const assetDir = join(root, "assets");
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const type = TYPES[name.slice(name.lastIndexOf("."))];
      const path = join(assetDir, name);
      if (type && /^[A-Za-z0-9._-]+$/.test(name) && statSync(path).isFile()) {
        assets.set(name, { body: readFileSync(path), type });
      }
    }
  }
  return { index: readFileSync(join(root, "index.html")), assets };
}

export function mountStatic<E extends Env>(app: Hono<E>, webRoot: string | null = defaultWebRoot()): void {
  let files: WebFiles | null = null;
  // Read on first use, so a server started before the build still serves it once it exists.
  const current = (): WebFiles | null => {
    if (files) return files;
    const root = webRoot ?? defaultWebRoot();
    if (!root || !existsSync(join(root, "index.html"))) return null;
    files = loadFiles(root);
    return files;
  };

  const page = (c: Context) => {
    const web = current();
    if (!web)
      return secure(
        c.json(errorBody("DASHBOARD_UNAVAILABLE", "the dashboard is not built: run npm run build"), 503),
      );
    return secure(
      c.body(new Uint8Array(web.index), 200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
      }),
    );
  };
  for (const route of SPA_ROUTES) app.get(route, page);

  app.get("/assets/:name", (c) => {
    const asset = current()?.assets.get(c.req.param("name"));
    if (!asset) return secure(c.json(errorBody("NOT_FOUND", "no such asset"), 404));
    return secure(
      c.body(new Uint8Array(asset.body), 200, { "content-type": asset.type, "cache-control": "no-cache" }),
    );
  });
}

export function secure(res: Response): Response {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.headers.set(k, v);
  return res;
}
