// Sub-agent sessions nest at most MAX_SUB_AGENT_DEPTH levels: every record of a session carries its whole
// principal chain, so unbounded nesting would let one agent token grow the ledger quadratically.
import { describe, expect, it } from "vitest";
import { MAX_SUB_AGENT_DEPTH } from "../../src/identity/sessions.js";
import { createToken, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { apiClient } from "../server/api-client.js";

const IDENTITY = { agent: "planner", onBehalfOf: "alice@example.com", intent: "plan" };

describe("sub-agent sessions", () => {
  it("nest up to the limit and are refused beyond it, in the library and over HTTP", async () => {
    const { warden } = await openWarden({ default: "allow" });
    let session = await warden.session(IDENTITY);
    for (let depth = 1; depth <= MAX_SUB_AGENT_DEPTH; depth++) {
      session = await warden.session({ ...IDENTITY, parent: session });
    }
    expect(session.principal).toHaveLength(MAX_SUB_AGENT_DEPTH + 2);
    await expect(warden.session({ ...IDENTITY, parent: session })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });

    const server = await startServer(warden, { port: 0 });
    onCleanup(() => server.close());
    const { token } = await createToken(warden.ledger.store, { role: "agent", agent: IDENTITY.agent });
    const api = apiClient(() => server.url);
    const refused = await api("POST", "/v1/sessions", token, { ...IDENTITY, parent: session.id });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: "INVALID_REQUEST" } });
  });
});
