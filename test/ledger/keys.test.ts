// Key files: where they live, their modes, loading them, and the key id.
import { createHash, createPublicKey } from "node:crypto";
import { chmodSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  defaultKeyPaths,
  generateKeyPair,
  keyIdOf,
  loadPublicKey,
  loadSigningKey,
  signingKeyFileExposed,
} from "../../src/ledger/index.js";
import { tempDir } from "./helpers.js";

describe("keys", () => {
  it("live beside the ledger with the extension replaced", () => {
    expect(defaultKeyPaths(".warden/ledger.db")).toEqual({
      privateKey: ".warden/ledger.key",
      publicKey: ".warden/ledger.pub",
    });
    expect(defaultKeyPaths("/x/audit")).toEqual({ privateKey: "/x/audit.key", publicKey: "/x/audit.pub" });
  });

  it("are written as PEM, the private one 0600 and the public one 0644, in a new 0700 directory", async () => {
    const dir = join(tempDir(), "new");
    const keys = await generateKeyPair(dir);
    expect(keys.paths).toEqual(defaultKeyPaths(join(dir, "ledger.db")));
    expect(statSync(keys.paths.privateKey).mode & 0o777).toBe(0o600);
    expect(statSync(keys.paths.publicKey).mode & 0o777).toBe(0o644);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const loaded = await loadSigningKey(keys.paths.privateKey);
    const pub = await loadPublicKey(keys.paths.publicKey);
    expect(keyIdOf(loaded)).toBe(keys.keyId);
    expect(keyIdOf(pub)).toBe(keys.keyId);
    expect(await signingKeyFileExposed(keys.paths.privateKey)).toBe(false);
  });

  it("are never overwritten", async () => {
    const dir = tempDir();
    await generateKeyPair(dir);
    await expect(generateKeyPair(dir)).rejects.toMatchObject({ code: "EEXIST" });
  });

  it("name themselves by the SHA-256 of the public key's SPKI DER", async () => {
    const keys = await generateKeyPair({
      privateKey: join(tempDir(), "a.key"),
      publicKey: join(tempDir(), "b.pub"),
    });
    const der = createPublicKey(keys.privateKey).export({ type: "spki", format: "der" });
    expect(keys.keyId).toBe(`sha256:${createHash("sha256").update(der).digest("hex")}`);
  });

  it("flag a private key file readable by group or other, without refusing it", async () => {
    const keys = await generateKeyPair(tempDir());
    chmodSync(keys.paths.privateKey, 0o644);
    expect(await signingKeyFileExposed(keys.paths.privateKey)).toBe(true);
    await expect(loadSigningKey(keys.paths.privateKey)).resolves.toBeDefined();
  });

  it("report a missing or unusable key file as LEDGER_KEY_MISSING", async () => {
    const dir = tempDir();
    await expect(loadSigningKey(join(dir, "none.key"))).rejects.toMatchObject({ code: "LEDGER_KEY_MISSING" });
    writeFileSync(join(dir, "junk.key"), "not a key");
    await expect(loadSigningKey(join(dir, "junk.key"))).rejects.toMatchObject({ code: "LEDGER_KEY_MISSING" });
    await expect(loadPublicKey(join(dir, "junk.key"))).rejects.toMatchObject({ code: "LEDGER_KEY_MISSING" });
  });
});
