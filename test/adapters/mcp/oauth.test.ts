// `warden mcp --listen` as an OAuth resource server (MCP authorization spec, RFC 9728), with the MCP SDK's
// own client and its OAuth support against a real OpenID provider (oidc-provider) on 127.0.0.1: discovery from
// the 401, dynamic registration, authorization code + PKCE with the resource indicator, and the session's
// user verified from the token; client credentials for an agent; `identity.onBehalfOf: verified` refusing
// a user named by a string (an HTTP header, or `_meta` as over stdio).

import { type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Warden } from "../../../src/index.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { type LocalClient, LocalProvider } from "../../identity/local-provider.js";
import { EVERYTHING, gatewayFor, records, stdioServer } from "./helpers.js";

const AGENT: LocalClient = {
  id: "support-bot",
  secret: "support-bot-secret-0123456789",
  grantTypes: ["client_credentials"],
  groups: ["warden-agents"],
};
const REDIRECT = "http://127.0.0.1:9/callback";

let idp: LocalProvider;

/** The MCP client's token store and browser hand-off, in memory: what a desktop client keeps on disk. */
class MemoryOAuth implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | null = null;
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "test MCP client",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      scope: "openid email groups",
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

async function gatewayListening(onBehalfOf: "asserted" | "verified") {
  const { warden } = await openWarden({
    default: "allow",
    identity: { onBehalfOf, provider: { issuer: idp.issuer, roles: { agent: ["warden-agents"] } } },
  });
  const gateway = await gatewayFor(warden, { servers: [stdioServer("everything", EVERYTHING)] });
  const listener = await gateway.listen({ port: 0 });
  return { warden, gateway, listener };
}

async function connect(url: string, authProvider: OAuthClientProvider): Promise<Client> {
  const client = new Client({ name: "oauth-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider }));
  onCleanup(() => client.close());
  return client;
}

async function sessionStart(warden: Warden) {
  const [start] = await records(warden, "session.start");
  return start;
}

beforeAll(async () => {
  idp = await LocalProvider.listen();
});

afterAll(async () => {
  await idp?.close();
});

describe("warden mcp --listen as an OAuth resource server", () => {
  it("a person connects with the SDK's OAuth flow; the session acts for them, verified", async () => {
    const { warden, listener } = await gatewayListening("verified");
    await idp.configure({
      users: { ann: { email: "ann@example.com", groups: ["warden-agents"] } },
      clients: [AGENT],
      resources: [listener.url],
    });

    // Unauthenticated: 401 pointing at the protected resource metadata, which names the provider.
    const bare = await fetch(listener.url, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(bare.status).toBe(401);
    const challenge = bare.headers.get("www-authenticate") ?? "";
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(new URL("/.well-known/oauth-protected-resource/mcp", listener.url).href);
    const metadata = (await (await fetch(metadataUrl ?? "")).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: listener.url, authorization_servers: [idp.issuer] });

    const oauth = new MemoryOAuth();
    const first = new Client({ name: "oauth-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(listener.url), { authProvider: oauth });
    await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    // The SDK registered itself, and asked for a token for exactly this resource (RFC 8707).
    expect(oauth.info?.client_id).toBeTruthy();
    expect(oauth.authorizationUrl?.searchParams.get("resource")).toBe(listener.url);
    const back = await idp.authorize(String(oauth.authorizationUrl), "ann", REDIRECT);
    await transport.finishAuth(back.searchParams.get("code") ?? "");

    const client = await connect(listener.url, oauth);
    const tools = await client.listTools();
    expect(tools.tools.length).toBeGreaterThan(0);
    const echoed = await client.callTool({ name: "echo", arguments: { message: "hi" } });
    expect(JSON.stringify(echoed.content)).toContain("hi");
    const start = await sessionStart(warden);
    expect(start?.agent).toBe(oauth.info?.client_id);
    expect(start?.data).toMatchObject({
      onBehalfOf: "ann@example.com",
      onBehalfOfVerified: { issuer: idp.issuer, subject: "ann" },
    });
  });

  it("an agent connects with client credentials (the SDK's ClientCredentialsProvider)", async () => {
    const { warden, listener } = await gatewayListening("asserted");
    await idp.configure({ users: {}, clients: [AGENT], resources: [listener.url] });
    const provider = new ClientCredentialsProvider({
      clientId: AGENT.id,
      clientSecret: AGENT.secret ?? "",
      expectedIssuer: idp.issuer,
    });
    const client = await connect(listener.url, provider);
    await client.listTools();
    const start = await sessionStart(warden);
    expect(start?.agent).toBe("support-bot");
    expect(start?.data.onBehalfOfVerified).toBeUndefined();
  });

  it("refuses a provider token for another audience with invalid_token", async () => {
    const { listener } = await gatewayListening("asserted");
    await idp.configure({
      users: {},
      clients: [AGENT],
      resources: [listener.url, "https://elsewhere.example.test/"],
    });
    const token = await idp.clientCredentials(AGENT, "https://elsewhere.example.test/");
    const res = await fetch(listener.url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(res.headers.get("www-authenticate")).toContain("resource_metadata=");
  });

  it("verified: an agent's own token with a user named by a header is refused", async () => {
    const { listener } = await gatewayListening("verified");
    await idp.configure({ users: {}, clients: [AGENT], resources: [listener.url] });
    const provider = new ClientCredentialsProvider({
      clientId: AGENT.id,
      clientSecret: AGENT.secret ?? "",
      expectedIssuer: idp.issuer,
    });
    const client = new Client({ name: "oauth-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(listener.url), {
      authProvider: provider,
      requestInit: { headers: { "x-warden-on-behalf-of": "mallory@example.com" } },
    });
    await expect(client.connect(transport)).rejects.toThrow(/verified/);
  });

  it("verified: over stdio, _meta warden/onBehalfOf no longer names the user; a verified token in _meta does", async () => {
    const API = "https://warden.example.test/api";
    const exchanging: LocalClient = {
      ...AGENT,
      grantTypes: ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"],
    };
    const helpdesk: LocalClient = { id: "helpdesk-app", redirectUris: [REDIRECT] };
    await idp.configure({
      users: { ann: { email: "ann@example.com", groups: ["staff"] } },
      clients: [exchanging, helpdesk],
      resources: [API],
    });
    const { warden } = await openWarden({
      default: "allow",
      identity: { onBehalfOf: "verified", provider: { issuer: idp.issuer, audience: API } },
    });
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("everything", EVERYTHING)],
      identity: { agent: "support-bot", onBehalfOf: "operator@example.com" },
    });
    // What serveStdio does: the connection carries no token, only what the client sends.
    const initialize = async (meta: Record<string, unknown>): Promise<JSONRPCMessage> => {
      const [clientSide, gatewaySide] = InMemoryTransport.createLinkedPair();
      const { gate } = gateway.attach(gatewaySide, {});
      await gate.listen();
      const answer = new Promise<JSONRPCMessage>((resolve) => {
        clientSide.onmessage = resolve;
      });
      await clientSide.start();
      onCleanup(() => clientSide.close());
      await clientSide.send({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "stdio-client", version: "1" },
          _meta: meta,
        },
      });
      return answer;
    };

    expect(await initialize({ "warden/onBehalfOf": "mallory@example.com" })).toMatchObject({
      id: 1,
      error: { data: { code: "IDENTITY_UNVERIFIED" } },
    });
    expect(await records(warden, "session.start")).toHaveLength(0);

    // The agent exchanged ann's token for one acting for her (RFC 8693) and sends it in _meta.
    const annToken = (await idp.signIn("ann", helpdesk, { resource: API })).access_token;
    const exchanged = await idp.exchange(exchanging, annToken, API);
    expect(await initialize({ "warden/onBehalfOfToken": exchanged })).toMatchObject({ id: 1, result: {} });
    const start = await sessionStart(warden);
    expect(start?.agent).toBe("support-bot");
    expect(start?.data).toMatchObject({
      onBehalfOf: "ann@example.com",
      onBehalfOfVerified: { issuer: idp.issuer, subject: "ann" },
    });
  });
});
