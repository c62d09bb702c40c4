// Classifies IP addresses: which ones an egress connection must never reach (private, loopback, metadata, …).
import { isIPv4, isIPv6 } from "node:net";

/** Why an address is not public; null from classifyAddress means public. */
export type AddressClass =
  | "metadata"
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "multicast"
  | "reserved";

interface Range {
  bits: bigint;
  prefix: number;
  cls: AddressClass;
}

const V4: [string, number, AddressClass][] = [
  ["169.254.169.254", 32, "metadata"],
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "cgnat"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

const V6: [string, number, AddressClass][] = [
  ["fd00:ec2::254", 128, "metadata"],
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["100::", 64, "reserved"],
  // Local-use NAT64 (RFC 8215): translates to addresses of a local network's choosing.
  ["64:ff9b:1::", 48, "reserved"],
  ["2001::", 32, "reserved"], // Teredo: tunnels to an address we cannot see
  ["2001:db8::", 32, "reserved"],
  ["fc00::", 7, "private"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "private"],
  ["ff00::", 8, "multicast"],
];

const V4_RANGES: Range[] = V4.map(([a, prefix, cls]) => ({ bits: v4Bits(a)!, prefix, cls }));
const V6_RANGES: Range[] = V6.map(([a, prefix, cls]) => ({ bits: v6Bits(a)!, prefix, cls }));

/**
 * The class of a non-public address, or null for a public one. IPv6 forms that carry an IPv4 address
 * (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by it;
 * the local-use NAT64 prefix 64:ff9b:1::/48 is not public at all.
 * Anything that is not an IP address is "reserved" (fail closed).
 */
export function classifyAddress(address: string): AddressClass | null {
  const a = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (isIPv4(a)) return match(v4Bits(a)!, 32, V4_RANGES);
  if (!isIPv6(a)) return "reserved";
  const zone = a.indexOf("%");
  const bits = v6Bits(zone === -1 ? a : a.slice(0, zone));
  if (bits === null) return "reserved";
  const own = match(bits, 128, V6_RANGES);
  if (own !== null) return own;
  const embedded = embeddedV4(bits);
  return embedded === null ? null : match(embedded, 32, V4_RANGES);
}

function match(bits: bigint, width: number, ranges: Range[]): AddressClass | null {
  for (const r of ranges) {
    const shift = BigInt(width - r.prefix);
    if (bits >> shift === r.bits >> shift) return r.cls;
  }
  return null;
}

function embeddedV4(bits: bigint): bigint | null {
  const low32 = bits & 0xffffffffn;
  const high96 = bits >> 32n;
  if (high96 === 0xffffn || high96 === 0n) return low32; // mapped, compatible (deprecated)
  if (high96 === 0x0064ff9b0000000000000000n) return low32; // NAT64 well-known prefix
  if (bits >> 112n === 0x2002n) return (bits >> 80n) & 0xffffffffn; // 6to4
  return null;
}

function v4Bits(a: string): bigint | null {
  const parts = a.split(".");
  if (parts.length !== 4) return null;
  let out = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out = (out << 8n) | BigInt(Number(p));
  }
  return out;
}

function v6Bits(a: string): bigint | null {
  let text = a.toLowerCase();
  let tail: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    tail = v4Bits(text.slice(lastColon + 1));
    if (tail === null) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  let out = 0n;
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    out = (out << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tail !== null) out = (out & ~0xffffffffn) | tail;
  return out;
}
