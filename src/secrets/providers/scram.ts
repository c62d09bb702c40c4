// SCRAM-SHA-256 password verifiers (RFC 7677, PostgreSQL's format), so a plaintext password never reaches the server or its logs.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64: what PostgreSQL stores in
 * `pg_authid.rolpassword` and accepts as-is in `PASSWORD '…'`.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
