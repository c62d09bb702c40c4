// `ip(s)`, `cidr(s)`, `isIP`, `isCIDR` with the Kubernetes CEL IP library's names and Go's semantics.
import { CelScalar, celFunc, celMethod } from "@bufbuild/cel";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import ipaddr from "ipaddr.js";
import { CIDR_DESC, CIDR_TYPE, IP_DESC, IP_TYPE, textOf, wrap } from "./types.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/**
 * An address in every form a resolver accepts, normalised: IPv4 as decimal, hex, octal or short
 * (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1` are all 127.0.0.1); IPv6 in any spelling, an
 * IPv4-mapped one (`::ffff:127.0.0.1`) as the IPv4 address it reaches. Zones (`fe80::1%eth0`) are refused.
 */
export function parseIp(text: string): Address {
  if (text.length > 64 || !ipaddr.isValid(text)) throw new Error("ip: not an IP address");
  const parsed = ipaddr.parse(text);
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.zoneId !== undefined) throw new Error("ip: an address with a zone");
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  }
  return parsed;
}

/** A network `address/prefix`, normalised like `parseIp` (a mapped IPv6 network becomes IPv4). */
export function parseCidr(text: string): Range {
  const slash = text.lastIndexOf("/");
  if (slash < 0 || !/^\d{1,3}$/.test(text.slice(slash + 1))) throw new Error("cidr: not a CIDR");
  const address = parseIp(text.slice(0, slash));
  let prefix = Number(text.slice(slash + 1));
  const original = ipaddr.parse(text.slice(0, slash));
  // `::ffff:10.0.0.0/104` is 10.0.0.0/8.
  if (address.kind() === "ipv4" && original.kind() === "ipv6") prefix -= 96;
  const bits = address.kind() === "ipv4" ? 32 : 128;
  if (prefix < 0 || prefix > bits) throw new Error("cidr: prefix length out of range");
  return [address, prefix];
}

const valid = (parse: (s: string) => unknown) => (s: string) => {
  try {
    parse(s);
    return true;
  } catch {
    return false;
  }
};

const ipText = (a: Address) => a.toString();
const cidrText = ([a, p]: Range) => `${ipText(a)}/${p}`;
const ipOf = (self: ReflectMessage) => parseIp(textOf(self));
const cidrOf = (self: ReflectMessage) => parseCidr(textOf(self));

function masked(a: Address, prefix: number): Address {
  const bytes = a.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes);
}

function within(a: Address, [net, prefix]: Range): boolean {
  return a.kind() === net.kind() && a.match(net, prefix);
}

const nets = (...cidrs: string[]) => cidrs.map((c) => ipaddr.parseCIDR(c) as Range);
const UNSPECIFIED = nets("0.0.0.0/32", "::/128");
const LOOPBACK = nets("127.0.0.0/8", "::1/128");
const MULTICAST = nets("224.0.0.0/4", "ff00::/8");
const LINK_LOCAL_UNICAST = nets("169.254.0.0/16", "fe80::/10");
const LINK_LOCAL_MULTICAST = nets("224.0.0.0/24", "ff02::/16");
const BROADCAST = nets("255.255.255.255/32");
const PRIVATE = nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7");

const inAny = (a: Address, ranges: Range[]) => ranges.some((r) => within(a, r));

/** Go's net.IP.IsGlobalUnicast: anything but unspecified, loopback, multicast, link-local or broadcast (private ranges included). */
function isGlobalUnicast(a: Address): boolean {
  return !inAny(a, [...UNSPECIFIED, ...LOOPBACK, ...MULTICAST, ...LINK_LOCAL_UNICAST, ...BROADCAST]);
}

const predicate = (name: string, test: (a: Address) => boolean) =>
  celMethod(name, IP_TYPE, [], CelScalar.BOOL, function () {
    return test(ipOf(this));
  });

export const ipFuncs = [
  celFunc("ip", [CelScalar.STRING], IP_TYPE, (s) => wrap(IP_DESC, ipText(parseIp(s)))),
  celFunc("isIP", [CelScalar.STRING], CelScalar.BOOL, valid(parseIp)),
  celFunc("string", [IP_TYPE], CelScalar.STRING, (ip) => textOf(ip)),
  celMethod("family", IP_TYPE, [], CelScalar.INT, function () {
    return ipOf(this).kind() === "ipv4" ? 4n : 6n;
  }),
  predicate("isUnspecified", (a) => inAny(a, UNSPECIFIED)),
  predicate("isLoopback", (a) => inAny(a, LOOPBACK)),
  predicate("isLinkLocalMulticast", (a) => inAny(a, LINK_LOCAL_MULTICAST)),
  predicate("isLinkLocalUnicast", (a) => inAny(a, LINK_LOCAL_UNICAST)),
  predicate("isGlobalUnicast", isGlobalUnicast),
  predicate("isPrivate", (a) => inAny(a, PRIVATE)),

  celFunc("cidr", [CelScalar.STRING], CIDR_TYPE, (s) => wrap(CIDR_DESC, cidrText(parseCidr(s)))),
  celFunc("isCIDR", [CelScalar.STRING], CelScalar.BOOL, valid(parseCidr)),
  celFunc("string", [CIDR_TYPE], CelScalar.STRING, (c) => textOf(c)),
  celMethod("containsIP", CIDR_TYPE, [IP_TYPE], CelScalar.BOOL, function (ip) {
    return within(ipOf(ip), cidrOf(this));
  }),
  celMethod("containsIP", CIDR_TYPE, [CelScalar.STRING], CelScalar.BOOL, function (s) {
    return within(parseIp(s), cidrOf(this));
  }),
  celMethod("containsCIDR", CIDR_TYPE, [CIDR_TYPE], CelScalar.BOOL, function (other) {
    const [net, prefix] = cidrOf(other);
    return prefix >= cidrOf(this)[1] && within(net, cidrOf(this));
  }),
  celMethod("containsCIDR", CIDR_TYPE, [CelScalar.STRING], CelScalar.BOOL, function (s) {
    const [net, prefix] = parseCidr(s);
    return prefix >= cidrOf(this)[1] && within(net, cidrOf(this));
  }),
  celMethod("ip", CIDR_TYPE, [], IP_TYPE, function () {
    return wrap(IP_DESC, ipText(cidrOf(this)[0]));
  }),
  celMethod("masked", CIDR_TYPE, [], CIDR_TYPE, function () {
    const [a, p] = cidrOf(this);
    return wrap(CIDR_DESC, cidrText([masked(a, p), p]));
  }),
  celMethod("prefixLength", CIDR_TYPE, [], CelScalar.INT, function () {
    return BigInt(cidrOf(this)[1]);
  }),
];
