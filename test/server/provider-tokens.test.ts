// The HTTP service with the identity provider's JWT bearer tokens (a real oidc-provider on 127.0.0.1): agents'
// and people's tokens beside Warden's own, refusals, and `identity.onBehalfOf` asserted or verified.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Warden } from "../../src/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { openWarden } from "../helpers.js";
import { type LocalClient, LocalProvider } from "../identity/local-provider.js";

const API = "https://warden.example.test/api";
const AGENT: LocalClient = {
  id: "support-bot",
  secret: "support-bot-secret-0123456789",
  grantTypes: ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"],
  groups: ["warden-agents"],
};
const HELPDESK: LocalClient = { id: "helpdesk-app", redirectUris: ["http://127.0.0.1:9/callback"] };

let idp: LocalProvider;

function policy(onBehalfOf: "asserted" | "verified") {
  return {
    rules: [{ id: "read", tools: ["read_ticket"], decision: "allow" as const }],
    identity: {
      onBehalfOf,
      provider: {
        issuer: idp.issuer,
        audience: API,
        roles: { approver: ["security-approvers"], agent: ["warden-agents"] },
      },
    },
  };
}

async function serve(
  onBehalfOf: "asserted" | "verified",
): Promise<{ warden: Warden; server: RunningServer }> {
  const { warden } = await openWarden(policy(onBehalfOf));
  const server = await startServer(warden, { port: 0 });
  return { warden, server };
}

async function call(server: RunningServer, path: string, token: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => null)) as { error?: { code: string } } & Record<string, unknown>;
  return { status: res.status, json, authenticate: res.headers.get("www-authenticate") };
}

beforeAll(async () => {
  idp = await LocalProvider.listen();
  await idp.configure({
    users: {
      ann: { email: "ann@example.com", groups: ["security-approvers"] },
      bob: { email: "bob@example.com", groups: ["sales"] },
    },
    clients: [AGENT, HELPDESK],
    resources: [API, "https://elsewhere.example.test/"],
  });
});

afterAll(async () => {
  await idp?.close();
});

describe("provider tokens at the HTTP service", () => {
  it("an agent's token opens sessions for its own agent and decides calls; Warden tokens still work", async () => {
    const { warden, server } = await serve("asserted");
    try {
      const token = await idp.clientCredentials(AGENT, API);
      const opened = await call(server, "/v1/sessions", token, {
        agent: "support-bot",
        onBehalfOf: "alice@example.com",
        intent: "ticket 1",
      });
      expect(opened.status).toBe(201);
      const decided = await call(server, "/v1/decisions", token, {
        session: opened.json.id,
        tool: "read_ticket",
      });
      expect(decided.json).toMatchObject({ decision: "allow" });
      const other = await call(server, "/v1/sessions", token, {
        agent: "other-bot",
        onBehalfOf: "a",
        intent: "x",
      });
      expect(other.json.error?.code).toBe("FORBIDDEN");
      const [start] = await warden.ledger.store.query({ kinds: ["session.start"], limit: 1 });
      // Asserted: the string is recorded, and nothing claims it was verified.
      expect(start?.data.onBehalfOf).toBe("alice@example.com");
      expect(start?.data.onBehalfOfVerified).toBeUndefined();

      const wardenToken = (await createToken(warden.ledger.store, { role: "auditor" })).token;
      expect((await call(server, "/v1/sessions", wardenToken)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("a person's token takes the role of their group; without a mapped group it is refused", async () => {
    const { server } = await serve("asserted");
    try {
      const ann = (await idp.signIn("ann", HELPDESK, { resource: API })).access_token;
      expect((await call(server, "/v1/approvals", ann)).status).toBe(200);
      const asAgent = await call(server, "/v1/sessions", ann, {
        agent: "support-bot",
        onBehalfOf: "x",
        intent: "y",
      });
      expect(asAgent.json.error?.code).toBe("FORBIDDEN");
      const bob = (await idp.signIn("bob", HELPDESK, { resource: API })).access_token;
      expect((await call(server, "/v1/approvals", bob)).json.error?.code).toBe("FORBIDDEN");
    } finally {
      await server.close();
    }
  });

  it("refuses a token for another audience with 401 invalid_token", async () => {
    const { server } = await serve("asserted");
    try {
      const token = await idp.clientCredentials(AGENT, "https://elsewhere.example.test/");
      const res = await call(server, "/v1/sessions", token, {
        agent: "support-bot",
        onBehalfOf: "a",
        intent: "b",
      });
      expect(res.status).toBe(401);
      expect(res.json.error?.code).toBe("UNAUTHENTICATED");
      expect(res.authenticate).toContain('error="invalid_token"');
    } finally {
      await server.close();
    }
  });

  it("verified: the user comes from an exchanged token (RFC 8693), never from the request", async () => {
    const { warden, server } = await serve("verified");
    try {
      const agentOnly = await idp.clientCredentials(AGENT, API);
      const asserted = await call(server, "/v1/sessions", agentOnly, {
        agent: "support-bot",
        onBehalfOf: "alice@example.com",
        intent: "ticket 1",
      });
      expect(asserted.json.error?.code).toBe("IDENTITY_UNVERIFIED");

      const annToken = (await idp.signIn("ann", HELPDESK, { resource: API })).access_token;
      const exchanged = await idp.exchange(AGENT, annToken, API);
      const forged = await call(server, "/v1/sessions", exchanged, {
        agent: "support-bot",
        onBehalfOf: "mallory@example.com",
        intent: "ticket 2",
      });
      expect(forged.json.error?.code).toBe("IDENTITY_UNVERIFIED");

      const opened = await call(server, "/v1/sessions", exchanged, {
        agent: "support-bot",
        intent: "ticket 3",
      });
      expect(opened.status).toBe(201);
      expect(opened.json.onBehalfOf).toBe("ann@example.com");
      const [start] = await warden.ledger.store.query({ kinds: ["session.start"], limit: 1 });
      expect(start?.data).toMatchObject({
        onBehalfOf: "ann@example.com",
        onBehalfOfVerified: { issuer: idp.issuer, subject: "ann" },
      });

      // A sub-agent session (here with a Warden token) inherits the parent's verified user.
      const wardenAgent = (await createToken(warden.ledger.store, { role: "agent", agent: "support-bot" }))
        .token;
      const child = await call(server, "/v1/sessions", wardenAgent, {
        agent: "support-bot",
        onBehalfOf: "ann@example.com",
        intent: "sub-task",
        parent: opened.json.id,
      });
      expect(child.status).toBe(201);
      const [childStart] = await warden.ledger.store.query({
        kinds: ["session.start"],
        newestFirst: true,
        limit: 1,
      });
      expect(childStart?.data.onBehalfOfVerified).toEqual({ issuer: idp.issuer, subject: "ann" });
      // Without a parent, that Warden token names no user.
      const alone = await call(server, "/v1/sessions", wardenAgent, {
        agent: "support-bot",
        onBehalfOf: "ann@example.com",
        intent: "x",
      });
      expect(alone.json.error?.code).toBe("IDENTITY_UNVERIFIED");
    } finally {
      await server.close();
    }
  });
});
