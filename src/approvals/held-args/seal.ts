// AES-256-GCM sealing of an approval's arguments, under a key derived from the ledger's signing key.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { WardenError } from "../../errors.js";
import type { JsonValue } from "../../json.js";

const HKDF_INFO = "warden approval arguments v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `v1.<keyId>.<iv>.<ciphertext>.<tag>`, base64url parts; the key id names the key, never reveals it. */
const SEALED = /^v1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

/**
 * Seals and opens arguments. The key is HKDF-SHA256 of the ledger's Ed25519 signing key (another
 * `info` than the action links' key): it is not in the ledger or its database, every instance that
 * signs for a database derives the same one, and it needs no second file to distribute and protect.
 * The approval id is the GCM additional data, so a sealed value cannot be moved to another approval.
 *
 * @example
 * const seal = new ArgsSeal(randomBytes(32));
 * const sealed = seal.seal("apr_1", { body: "hello" });
 * seal.open("apr_1", sealed); // { body: "hello" }
 */
export class ArgsSeal {
  readonly #key: Buffer;
  readonly keyId: string;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("an arguments key has 32 bytes");
    this.#key = Buffer.from(key);
    this.keyId = createHash("sha256")
      .update("warden approval arguments key id\0")
      .update(this.#key)
      .digest("hex")
      .slice(0, 16);
  }

  static fromSigningKey(signingKey: KeyObject): ArgsSeal {
    if (signingKey.type !== "private" || signingKey.asymmetricKeyType !== "ed25519") {
      throw new WardenError("LEDGER_KEY_MISSING", "sealing approval arguments needs the Ed25519 signing key");
    }
    const seed = Buffer.from(signingKey.export({ format: "jwk" }).d!, "base64url");
    return new ArgsSeal(new Uint8Array(hkdfSync("sha256", seed, Buffer.alloc(0), HKDF_INFO, 32)));
  }

  seal(approvalId: string, value: JsonValue): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(approvalId, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    const b64 = (b: Buffer) => b.toString("base64url");
    return `v1.${this.keyId}.${b64(iv)}.${b64(ciphertext)}.${b64(cipher.getAuthTag())}`;
  }

  /** APPROVAL_ARGS_UNREADABLE: sealed under another key, for another approval, or altered. */
  open(approvalId: string, sealed: string): JsonValue {
    const m = SEALED.exec(sealed);
    if (!m) throw unreadable("not a sealed value of this version");
    const [, keyId, iv, ciphertext, tag] = m as unknown as [string, string, string, string, string];
    if (keyId !== this.keyId) throw unreadable("sealed with another key (another signing key)");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, Buffer.from(iv, "base64url"), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(approvalId, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
      return JSON.parse(plain.toString("utf8")) as JsonValue;
    } catch {
      throw unreadable("does not authenticate (altered, or for another approval)");
    }
  }
}

function unreadable(why: string): WardenError {
  return new WardenError("APPROVAL_ARGS_UNREADABLE", `the approval's arguments cannot be opened: ${why}`);
}
