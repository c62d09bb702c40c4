// `warden mcp approve` on a PostgreSQL ledger: it writes its approval with the key every instance shares,
// and a gateway's changed tool is pinned again.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/warden.js";
import { CHANGING, connectInMemory, gatewayFor, stdioServer } from "../adapters/mcp/helpers.js";
import { cli } from "../cli/run-cli.js";
import { tempDir } from "../helpers.js";
import { freshSchema, pgAvailable } from "../ledger/pg.js";

describe.skipIf(!pgAvailable)("warden mcp approve on PostgreSQL", () => {
  it("approves a changed tool with the shared key; without the key it exits 2", async () => {
    const dir = tempDir();
    const { url } = freshSchema();
    writeFileSync(join(dir, "policy.yaml"), '{"default": "allow"}');
    const warden = await Warden.open({
      policy: join(dir, "policy.yaml"),
      db: url,
      signingKey: join(dir, "ledger.key"),
    });
    try {
      for (const version of ["1", "2"]) {
        const gateway = await gatewayFor(warden, {
          servers: [stdioServer("changing", CHANGING, [], { FIXTURE_VERSION: version })],
        });
        await (await connectInMemory(gateway)).listTools();
        await gateway.close();
      }
    } finally {
      await warden.close();
    }
    const states = async () =>
      JSON.parse((await cli(["mcp", "tools", "--dir", dir, "--db", url, "--json"], dir)).stdout) as {
        tool: string;
        state: string;
      }[];
    expect((await states()).find((s) => s.tool === "greet")?.state).toBe("changed");

    const elsewhere = tempDir();
    const keyless = await cli(
      ["mcp", "approve", "changing", "greet", "--dir", elsewhere, "--db", url],
      elsewhere,
    );
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain("no signing key");

    const approved = await cli(["mcp", "approve", "changing", "greet", "--dir", dir, "--db", url], dir);
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("approved tool greet on server changing");
    expect((await states()).find((s) => s.tool === "greet")?.state).toBe("pinned");
    // The approval is signed like every record: the database verifies with its one public key.
    const verified = await cli(["verify", "--db", url, "--dir", dir], dir);
    expect(verified.code).toBe(0);
  });
});
