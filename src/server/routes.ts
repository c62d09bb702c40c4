// What every per-resource sub-app of the service is built from.
import type { MiddlewareHandler } from "hono";
import type { Warden } from "../warden.js";
import type { AuthEnv } from "./auth.js";

export interface RouteDeps {
  warden: Warden;
  /** Authenticates a request (bearer token or dashboard session): first in every /v1 route's chain. */
  authenticated: MiddlewareHandler<AuthEnv>;
}
