// DNS rebinding defence for Warden's local HTTP listeners (`warden start`, `warden mcp --listen`).

const LOOPBACK_NAME = /^(127(?:\.\d{1,3}){3}|\[::1\]|::1|localhost)$/i;

/**
 * A page on another site can get its own DNS name resolved to 127.0.0.1 and then talk to a local
 * listener as if same-origin. Two checks stop it, as the MCP Streamable HTTP transport requires:
 * - a listener bound to a loopback address answers only to loopback host names (the rebound page
 *   sends its own name in Host), whatever the port, so SSH tunnels keep working, and to the hosts of
 *   `allowedOrigins` (a reverse proxy that passes its public Host);
 * - a request that carries an Origin (browsers do) must come from a loopback origin, from the origin
 *   the request itself names in Host (the listener's own pages), or from one of `allowedOrigins`.
 * Clients that are not browsers send no Origin and only meet the first check.
 * Returns why a request is refused, or null.
 */
export function siteCheck(
  listenHost: string,
  allowedOrigins: () => readonly string[] = () => [],
): (host: string | undefined, origin: string | undefined) => string | null {
  const loopbackListener = LOOPBACK_NAME.test(listenHost);
  return (host, origin) => {
    const hostName = host === undefined ? null : hostnameOf(host);
    if (loopbackListener && (hostName === null || !LOOPBACK_NAME.test(hostName))) {
      const named = host?.toLowerCase();
      const allowed =
        named !== undefined && allowedOrigins().some((o) => parseOrigin(o.toLowerCase())?.host === named);
      if (!allowed) return "host not allowed: this listener answers only to loopback names";
    }
    if (origin === undefined) return null;
    const wanted = origin.toLowerCase();
    const url = parseOrigin(wanted);
    if (url !== null) {
      if (LOOPBACK_NAME.test(url.hostname)) return null;
      if (host !== undefined && url.host === host.toLowerCase()) return null;
    }
    if (allowedOrigins().some((o) => o.toLowerCase() === wanted)) return null;
    return `origin ${origin} not allowed`;
  };
}

/** "[::1]:8787" → "[::1]", "localhost:8787" → "localhost". */
function hostnameOf(authority: string): string {
  const lower = authority.toLowerCase();
  if (lower.startsWith("[")) return lower.slice(0, lower.indexOf("]") + 1);
  const colon = lower.indexOf(":");
  return colon === -1 ? lower : lower.slice(0, colon);
}

function parseOrigin(origin: string): URL | null {
  try {
    const url = new URL(origin);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}
