// Ed25519 key files for checkpoint signing: create, load, name (keyId) and locate them beside the ledger.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { dirname, join, parse } from "node:path";
import { WardenError } from "../errors.js";
import { createFileDurably, makeFolderDurably } from "./durable-file.js";

export interface KeyPaths {
  /** PKCS#8 PEM, mode 0600. */
  privateKey: string;
  /** SPKI PEM, mode 0644. */
  publicKey: string;
}

export interface GeneratedKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  paths: KeyPaths;
}

/**
 * Where the keys of a ledger live: its path with the extension replaced.
 *
 * @example
 * defaultKeyPaths(".warden/ledger.db"); // { privateKey: ".warden/ledger.key", publicKey: ".warden/ledger.pub" }
 */
export function defaultKeyPaths(dbPath: string): KeyPaths {
  const p = parse(dbPath);
  const base = join(p.dir, p.name);
  return { privateKey: `${base}.key`, publicKey: `${base}.pub` };
}

/**
 * Creates a new Ed25519 key pair and writes it as PEM files; `target` is a directory (ledger.key and
 * ledger.pub inside it) or explicit paths. Refuses to overwrite an existing key: replacing the key of a
 * ledger would make its old checkpoints unverifiable with the file beside it.
 *
 * @example
 * const { keyId } = await generateKeyPair("/tmp/warden-keys");
 */
export async function generateKeyPair(target: string | KeyPaths): Promise<GeneratedKeys> {
  const paths = typeof target === "string" ? defaultKeyPaths(join(target, "ledger.db")) : target;
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  await makeFolderDurably(dirname(paths.privateKey), 0o700);
  await makeFolderDurably(dirname(paths.publicKey), 0o700);
  // Durable and never over an existing file: a key lost or emptied by a crash makes the ledger unverifiable.
  await createFileDurably(paths.privateKey, privatePem, 0o600);
  await createFileDurably(paths.publicKey, publicPem, 0o644);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), paths };
}

/** Loads the PKCS#8 PEM private key that signs checkpoints. Missing or unusable → LEDGER_KEY_MISSING. */
export async function loadSigningKey(path: string): Promise<KeyObject> {
  const pem = await readKeyFile(path, "signing key");
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new WardenError("LEDGER_KEY_MISSING", `${path} is not a PEM private key`, { path });
  }
  assertEd25519(key, path);
  return key;
}

/**
 * True when the private key file is readable or writable by group or other. A warning, not a refusal:
 * blocking would stop the ledger (and so every tool call) over a mode bit the operator can fix.
 */
export async function signingKeyFileExposed(path: string): Promise<boolean> {
  const s = await stat(path);
  return (s.mode & 0o077) !== 0;
}

/** Loads an SPKI PEM public key. Missing or unusable → LEDGER_KEY_MISSING. */
export async function loadPublicKey(path: string): Promise<KeyObject> {
  const pem = await readKeyFile(path, "public key");
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new WardenError("LEDGER_KEY_MISSING", `${path} is not a PEM public key`, { path });
  }
  assertEd25519(key, path);
  return key;
}

/** `sha256:<hex>` of the public key's SPKI DER; accepts a private key too (its public half is used). */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const der = pub.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}

async function readKeyFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    throw new WardenError("LEDGER_KEY_MISSING", `cannot read ${what} ${path} (${code})`, { path });
  }
}

function assertEd25519(key: KeyObject, path: string): void {
  if (key.asymmetricKeyType !== "ed25519") {
    throw new WardenError("LEDGER_KEY_MISSING", `${path} is not an Ed25519 key`, { path });
  }
}
