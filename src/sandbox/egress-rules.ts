// Egress rules shared by the proxy and guardedFetch: host allow/deny globs, then resolve once and check the address.
import { createHash } from "node:crypto";
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import {
  normalizeHost,
  type EgressPattern as Pattern,
  parseEgressEntry,
  validPort,
} from "../config/index.js";
import { classifyAddress } from "./addresses.js";
import { type EgressRefusal, type EgressViolation, SandboxError } from "./errors.js";

/** One resolved address. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses. Injectable for tests; the default is the system resolver. */
export type LookupFn = (host: string) => Promise<ResolvedAddress[]>;

export interface EgressRulesOptions {
  /**
   * Hosts that may be reached, each with its ports: `api.example.com` (exactly; ports 443 and 80),
   * `*.example.com` (any subdomain, not the base), `host:8443` (that port only), `host:*` (any port),
   * `[::1]:8080` (an IPv6 literal with a port).
   */
  allow: readonly string[];
  /** Hosts that may never be reached, same syntax, except that an entry without a port denies every port; deny wins. */
  deny?: readonly string[];
  /** Ports that may be reached whatever the entries say (default: no further limit). */
  ports?: readonly number[];
  lookup?: LookupFn;
  /** Bound on one resolution (default 5 s); a slower answer is a refusal. */
  dnsTimeoutMs?: number;
}

/** The verdict on one target: the single address to connect to, or why not. */
export type EgressCheck = { ok: true; host: string; port: number; address: ResolvedAddress } | EgressFailure;

interface EgressFailure {
  ok: false;
  violation: EgressViolation;
}

/** The ports an allow entry without `:port` covers: HTTPS and plain HTTP. */
export const DEFAULT_EGRESS_PORTS: readonly number[] = Object.freeze([443, 80]);

/**
 * Decides where a sandboxed tool may connect. `check` validates the host, applies deny then allow,
 * resolves the name ONCE and refuses it if any address it resolved to is not public — unless the host
 * is listed exactly (not by a glob) in `allow`, which is how a deliberate internal service is allowed.
 * Metadata addresses (169.254.169.254, fd00:ec2::254) are refused even then. The caller must connect
 * to the returned address and never resolve the name again (DNS rebinding).
 *
 * @example
 * const rules = new EgressRules({ allow: ["*.github.com", "registry.npmjs.org"], deny: ["gist.github.com"] });
 * const verdict = await rules.check("api.github.com", 443);
 * if (verdict.ok) console.log(verdict.address.address);
 */
export class EgressRules {
  readonly #allow: Pattern[];
  readonly #deny: Pattern[];
  readonly #ports: Set<number> | null;
  readonly #lookup: LookupFn;
  readonly #dnsTimeoutMs: number;

  constructor(o: EgressRulesOptions) {
    this.#allow = o.allow.map((raw) => parseEntry(raw, new Set(DEFAULT_EGRESS_PORTS)));
    this.#deny = (o.deny ?? []).map((raw) => parseEntry(raw, null));
    if (o.ports) {
      for (const p of o.ports) if (!validPort(p)) throw invalid(`egress port ${String(p)} is not 1–65535`);
    }
    this.#ports = o.ports ? new Set(o.ports) : null;
    this.#lookup = o.lookup ?? systemLookup;
    this.#dnsTimeoutMs = o.dnsTimeoutMs ?? 5000;
  }

  /** Host and port checks alone, before any resolution. */
  checkName(rawHost: string, port: number): { ok: true; host: string; literal: boolean } | EgressFailure {
    const host = normalizeHost(rawHost);
    const refuse = (reason: EgressRefusal) => failure(host ?? shownTarget(rawHost), port, reason);
    if (host === null) return refuse("invalid_host");
    if (!validPort(port) || (this.#ports !== null && !this.#ports.has(port)))
      return refuse("port_not_allowed");
    if (this.#deny.some((p) => matches(p, host) && covers(p, port))) return refuse("denied_host");
    const literal = isIP(host) !== 0;
    if (literal && !this.#allow.some((p) => p.exact === host)) return refuse("ip_literal");
    const named = this.#allow.filter((p) => matches(p, host));
    if (named.length === 0) return refuse("not_allowed");
    // An allowed host on a port its entries do not list is refused like an unknown host.
    if (!named.some((p) => covers(p, port))) return refuse("port_not_allowed");
    return { ok: true, host, literal };
  }

  /** The full check: name rules, one resolution, address rules. Never throws. */
  async check(rawHost: string, port: number): Promise<EgressCheck> {
    const named = this.checkName(rawHost, port);
    if (!named.ok) return named;
    const { host, literal } = named;
    let addresses: ResolvedAddress[];
    if (literal) {
      addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
    } else {
      try {
        addresses = await withTimeout(this.#lookup(host), this.#dnsTimeoutMs);
      } catch {
        return failure(host, port, "dns_failed");
      }
    }
    if (!Array.isArray(addresses) || addresses.length === 0) return failure(host, port, "dns_failed");
    const exact = this.#allow.some((p) => p.exact === host && covers(p, port));
    // Every address is judged, not only the one used: a name that mixes public and private answers is refused.
    for (const a of addresses) {
      const family = isIP(a?.address ?? "");
      if (family === 0) return failure(host, port, "dns_failed");
      const cls = classifyAddress(a.address);
      if (cls === "metadata") return failure(host, port, "metadata_address", a.address);
      if (cls !== null && !exact) return failure(host, port, "blocked_address", a.address);
    }
    const first = addresses[0]!;
    return {
      ok: true,
      host,
      port,
      address: { address: first.address, family: isIP(first.address) as 4 | 6 },
    };
  }
}

/** One `allow`/`deny` entry (see config/egress-entry.ts); a bad one is SANDBOX_INVALID. */
function parseEntry(raw: string, portless: ReadonlySet<number> | null): Pattern {
  const parsed = parseEgressEntry(raw, portless);
  if ("problem" in parsed) throw invalid(parsed.problem);
  return parsed.pattern;
}

function covers(p: Pattern, port: number): boolean {
  return p.ports === null || p.ports.has(port);
}

function matches(p: Pattern, host: string): boolean {
  return p.exact !== null ? p.exact === host : isIP(host) === 0 && p.regex!.test(host);
}

/** Longest refused target shown as written; a host name is at most 253 characters. */
const SHOWN_TARGET_MAX = 255;

/**
 * A refused target that is not a host name (or not a valid one) as records, alerts and errors show it:
 * as written up to 255 characters, else its length and digest. Never cut: a cut could split a secret
 * the sandboxed code wrote into it, and the masking of leased values matches whole values only.
 */
export function shownTarget(raw: string): string {
  if (raw.length <= SHOWN_TARGET_MAX) return raw;
  const digest = createHash("sha256").update(raw, "utf8").digest("hex").slice(0, 16);
  return `[${raw.length} characters, sha256:${digest}…]`;
}

function failure(host: string, port: number, reason: EgressRefusal, address?: string): EgressFailure {
  return { ok: false, violation: address ? { host, port, reason, address } : { host, port, reason } };
}

function invalid(message: string): SandboxError {
  return new SandboxError("SANDBOX_INVALID", message);
}

async function systemLookup(host: string): Promise<ResolvedAddress[]> {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}
