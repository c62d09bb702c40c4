// The SQLite ledger file the library creates: private to its owner, like its signing key.
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Ledger, SqliteStore } from "../../src/ledger/index.js";
import { ephemeralKey, intent, tempDir } from "./helpers.js";

describe("a ledger file created by the library", () => {
  it("is mode 0600 with its WAL files, whatever the umask lets through", async () => {
    const old = process.umask(0o022);
    try {
      const db = join(tempDir(), "nested", "ledger.db");
      const ledger = await Ledger.open({
        store: await SqliteStore.open(db),
        signingKey: ephemeralKey(),
        checkpointSeconds: 0,
      });
      await ledger.append(intent(1));
      for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(db, "..")).mode & 0o777).toBe(0o700);
      await ledger.close();
    } finally {
      process.umask(old);
    }
  });
});
