// Egress entries (`egress.allow` / `deny`): a host name, glob or IP and an optional port, parsed the same
// way at policy load and by the proxy's rules, so a policy that loads never fails at its first run.
import { isIP } from "node:net";

/** One parsed entry. */
export interface EgressPattern {
  /** Set for a pattern without wildcards: only such a pattern can allow a non-public address. */
  exact: string | null;
  regex: RegExp | null;
  /** The ports the entry covers; null for every port. */
  ports: ReadonlySet<number> | null;
}

const ENTRY = /^(\[[^\]]*\]|[^:]*)(?::(\*|\d{1,5}))?$/;
const LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const HOST_NAME = new RegExp(`^(?:${LABEL}\\.)*${LABEL}$`);

/** Lower case, no trailing dot, IPv6 brackets removed; null when it is neither a host name nor an IP. */
export function normalizeHost(raw: string): string | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 255) return null;
  let h = raw.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) {
    h = h.slice(1, -1);
    return isIP(h) === 6 ? h : null;
  }
  if (h.endsWith(".")) h = h.slice(0, -1);
  if (isIP(h) !== 0) return h;
  return h.length <= 253 && HOST_NAME.test(h) ? h : null;
}

export function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}

/**
 * One entry: a host pattern and an optional `:port` or `:*` (without one, `portless`); or what is wrong
 * with it.
 */
export function parseEgressEntry(
  raw: string,
  portless: ReadonlySet<number> | null,
): { pattern: EgressPattern } | { problem: string } {
  if (typeof raw !== "string") return { problem: "an egress host pattern must be a string" };
  const m = ENTRY.exec(raw);
  const port = m?.[2];
  if (!m || (port !== undefined && port !== "*" && !validPort(Number(port)))) {
    return { problem: `egress entry "${raw.slice(0, 100)}" is not host, host:port or host:* (port 1–65535)` };
  }
  const host = parseHostPattern(m[1]!);
  if (host === null) {
    return {
      problem: `egress host pattern "${m[1]!.slice(0, 100)}" is not a host name or glob such as *.example.com`,
    };
  }
  const ports = port === undefined ? portless : port === "*" ? null : new Set([Number(port)]);
  return { pattern: { ...host, ports } };
}

function parseHostPattern(raw: string): Omit<EgressPattern, "ports"> | null {
  if (!/[*?]/.test(raw)) {
    const host = normalizeHost(raw);
    return host === null ? null : { exact: host, regex: null };
  }
  const text = raw.toLowerCase().replace(/\.$/, "");
  // A leading "*." is any number of subdomain labels (not the base); any other * or ? stays inside one label.
  const lead = text.startsWith("*.");
  const rest = lead ? text.slice(2) : text;
  if (
    rest.length === 0 ||
    rest.length > 253 ||
    !/^[a-z0-9_*?.-]+$/.test(rest) ||
    rest.split(".").some((l) => l === "")
  ) {
    return null;
  }
  if (rest.split(".").every((l) => /^[*?]+$/.test(l))) return null; // "*", "*.*": would allow everything
  const body = rest.replace(/[.*?-]/g, (c) =>
    c === "*" ? "[a-z0-9_-]*" : c === "?" ? "[a-z0-9_-]" : `\\${c}`,
  );
  return { exact: null, regex: new RegExp(`^${lead ? "(?:[a-z0-9_-]+\\.)+" : ""}${body}$`) };
}
