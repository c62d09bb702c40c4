// The verifier's view of keys: parse a public key strictly and name it, without the writer's key helpers.
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type { KeySource } from "./result.js";

export interface VerifyKey {
  publicKey: KeyObject | null;
  keyId: string | null;
  source: KeySource;
  /** Further trusted keys by id (keys before or after a rotation); `publicKey` is trusted too. */
  others?: ReadonlyMap<string, KeyObject>;
  /**
   * `others` are known to be keys rotations retired (the `ledger.retired-*.pub` files beside a database,
   * an export header's `retiredKeys`): the ledger must hold the rotations that name them.
   */
  retired?: boolean;
}

/** The public key trusted under `keyId`, if any. */
export function trustedKey(key: VerifyKey, keyId: string): KeyObject | null {
  if (key.publicKey && keyId === key.keyId) return key.publicKey;
  return key.others?.get(keyId) ?? null;
}

/** `key` trusting `more` as well. */
export function withKeys(key: VerifyKey, more: readonly VerifyKey[]): VerifyKey {
  const others = new Map(key.others ?? []);
  for (const k of more) if (k.publicKey && k.keyId) others.set(k.keyId, k.publicKey);
  if (!key.publicKey) {
    const [first] = others;
    if (first) return { publicKey: first[1], keyId: first[0], source: key.source, others };
  }
  return { ...key, others };
}

export const NO_KEY: VerifyKey = { publicKey: null, keyId: null, source: "none" };

/** A key the caller gave: a public key, or a private key whose public half is meant. */
export function givenKey(key: KeyObject): VerifyKey | string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  if (pub.type !== "public" || pub.asymmetricKeyType !== "ed25519")
    return "the given key is not an Ed25519 key";
  return { publicKey: pub, keyId: keyIdFor(pub), source: "given" };
}

/** Parses PEM (SPKI) text; a string explaining why not otherwise. */
export function keyFromPem(pem: string, source: KeySource): VerifyKey | string {
  try {
    return ed25519(createPublicKey(pem), source);
  } catch {
    return "not a PEM public key";
  }
}

/**
 * Parses base64 SPKI DER, refusing any spelling but the canonical one (two spellings of one key would hide an edit):
 * canonical base64, and DER that is exactly the key's own encoding, since OpenSSL accepts bytes after the SPKI
 * structure (a header key ending `…Q=` edited to `…Q/` decodes to the same key plus one byte).
 */
export function keyFromSpkiBase64(text: string, source: KeySource): VerifyKey | string {
  const der = Buffer.from(text, "base64");
  if (der.length === 0 || der.toString("base64") !== text) return "the public key is not canonical base64";
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: "der", type: "spki" });
  } catch {
    return "not an SPKI public key";
  }
  if (!key.export({ type: "spki", format: "der" }).equals(der))
    return "the public key is not canonical SPKI DER";
  return ed25519(key, source);
}

function ed25519(key: KeyObject, source: KeySource): VerifyKey | string {
  if (key.asymmetricKeyType !== "ed25519") return "not an Ed25519 key";
  return { publicKey: key, keyId: keyIdFor(key), source };
}

export function keyIdFor(key: KeyObject): string {
  return `sha256:${createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest("hex")}`;
}
