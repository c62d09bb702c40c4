// A real OpenID provider (the certified `oidc-provider` package) on 127.0.0.1 for the identity tests: people
// sign in through its development login form, agents get client-credentials tokens, and an agent exchanges a
// user's token for one that acts for that user (RFC 8693). Nothing here is faked except `tamper`, below.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from "jose";
import Provider, {
  type ClientMetadata,
  errors,
  type KoaContextWithOIDC,
  type ResourceServer,
  type ResourceServerInstance,
} from "oidc-provider";

export interface LocalUser {
  email: string;
  groups: string[];
}

export interface LocalClient {
  id: string;
  /** Confidential clients have one; a public client (PKCE only) has none. */
  secret?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  /** Groups written into this client's own (client-credentials) access tokens, as IdPs do with app roles. */
  groups?: string[];
}

export interface LocalProviderOptions {
  users: Record<string, LocalUser>;
  clients: LocalClient[];
  /** Resource indicators (RFC 8707) it issues JWT access tokens for; a token's `aud` is the resource. */
  resources: string[];
  /** Lifetimes in seconds. */
  idTokenTtl?: number;
  accessTokenTtl?: number;
}

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

export class LocalProvider {
  readonly issuer: string;
  readonly #server: Server;
  #provider: Provider | null = null;
  #options: LocalProviderOptions | null = null;
  /** Signing keys, newest first: the first signs, all verify (the JWKS publishes every one). */
  #keys: JWK[] = [];
  #resources = new Set<string>();
  /**
   * Rewrites the claims of each ID token the token endpoint returns, re-signed with the provider's own key:
   * the one fake, standing in for a provider that issues a token for another audience or an expired one.
   */
  tamper: ((claims: Record<string, unknown>) => Record<string, unknown>) | null = null;

  private constructor(server: Server, issuer: string) {
    this.#server = server;
    this.issuer = issuer;
  }

  /** Listens first, so the issuer URL is known before the provider (and the Warden that trusts it) is built. */
  static async listen(): Promise<LocalProvider> {
    let self: LocalProvider | null = null;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const provider = self === null ? null : self.#provider;
      if (!provider) {
        res.writeHead(503).end("not configured yet");
        return;
      }
      provider.callback()(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    self = new LocalProvider(server, `http://127.0.0.1:${port}`);
    return self;
  }

  async configure(options: LocalProviderOptions): Promise<void> {
    this.#options = options;
    if (this.#keys.length === 0) this.#keys = [await newSigningKey()];
    this.#provider = this.#build(options);
  }

  /** A new signing key signs from now on; the old one stays in the JWKS (as providers do during a rotation). */
  async rotateKeys(options: { dropOld?: boolean } = {}): Promise<void> {
    const fresh = await newSigningKey();
    this.#keys = options.dropOld ? [fresh] : [fresh, ...this.#keys];
    if (this.#options) this.#provider = this.#build(this.#options);
  }

  get currentKid(): string {
    return String(this.#keys[0]?.kid);
  }

  /** An access token for `resource` from the client-credentials grant (an agent's own token). */
  async clientCredentials(client: LocalClient, resource: string): Promise<string> {
    return this.#token(client, { grant_type: "client_credentials", resource });
  }

  /** RFC 8693: the agent client trades a user's access token for one for `resource` that acts for the user. */
  async exchange(agent: LocalClient, subjectToken: string, resource: string): Promise<string> {
    return this.#token(agent, {
      grant_type: TOKEN_EXCHANGE,
      subject_token: subjectToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      resource,
    });
  }

  /**
   * A person signing in without a browser: the authorization code flow with PKCE through the provider's
   * own login form, cookies carried by hand. Returns the token response (access token for `resource`).
   */
  async signIn(
    user: string,
    client: LocalClient,
    options: { resource?: string; scope?: string } = {},
  ): Promise<{ access_token: string; id_token: string }> {
    const redirectUri = client.redirectUris?.[0];
    if (!redirectUri) throw new Error("the client has no redirect URI");
    const verifier = randomBytes(32).toString("base64url");
    const auth = new URL(`${this.issuer}/auth`);
    const params: Record<string, string> = {
      client_id: client.id,
      response_type: "code",
      redirect_uri: redirectUri,
      scope: options.scope ?? "openid email groups",
      state: randomBytes(8).toString("hex"),
      nonce: randomBytes(8).toString("hex"),
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
      ...(options.resource ? { resource: options.resource } : {}),
    };
    for (const [k, v] of Object.entries(params)) auth.searchParams.set(k, v);
    const back = await this.authorize(auth.href, user, redirectUri);
    const code = back.searchParams.get("code");
    if (!code) throw new Error(`no code in ${back.href}`);
    const res = await fetch(`${this.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        client_id: client.id,
        ...(options.resource ? { resource: options.resource } : {}),
      }),
    });
    const body = (await res.json()) as { access_token?: string; id_token?: string; error?: string };
    if (!body.access_token || !body.id_token) throw new Error(`token request failed: ${body.error}`);
    return { access_token: body.access_token, id_token: body.id_token };
  }

  /**
   * What a person does in a browser, by HTTP: opens an authorization URL, signs in as `user` on the
   * provider's login form (cookies carried by hand) and follows the redirects back to `redirectUri`.
   */
  async authorize(authorizationUrl: string, user: string, redirectUri: string): Promise<URL> {
    const jar = new Map<string, string>();
    const step = async (url: string, init: RequestInit = {}): Promise<string> => {
      const res = await fetch(url, {
        ...init,
        redirect: "manual",
        headers: { ...(init.headers ?? {}), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const at = pair?.indexOf("=") ?? -1;
        if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
      }
      const location = res.headers.get("location");
      if (!location)
        throw new Error(`expected a redirect from ${url}, got ${res.status}: ${await res.text()}`);
      return new URL(location, url).href;
    };
    const interaction = await step(authorizationUrl);
    let next = await step(interaction, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ prompt: "login", login: user, password: "any" }),
    });
    while (!next.startsWith(redirectUri)) next = await step(next);
    return new URL(next);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #token(client: LocalClient, params: Record<string, string>): Promise<string> {
    const res = await fetch(`${this.issuer}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${client.id}:${client.secret ?? ""}`).toString("base64")}`,
      },
      body: new URLSearchParams(params),
    });
    const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!res.ok || !body.access_token)
      throw new Error(`token request failed: ${body.error} ${body.error_description}`);
    return body.access_token;
  }

  #build(options: LocalProviderOptions): Provider {
    const users = options.users;
    const clientGroups = new Map(options.clients.map((c) => [c.id, c.groups ?? []]));
    const resources = new Set(options.resources);
    this.#resources = resources;
    const clients: ClientMetadata[] = options.clients.map((c) => ({
      client_id: c.id,
      ...(c.secret ? { client_secret: c.secret } : { token_endpoint_auth_method: "none" }),
      redirect_uris: c.redirectUris ?? [],
      post_logout_redirect_uris: c.postLogoutRedirectUris ?? [],
      grant_types: c.grantTypes ?? ["authorization_code"],
      response_types: (c.grantTypes ?? ["authorization_code"]).includes("authorization_code") ? ["code"] : [],
    }));
    const provider = new Provider(this.issuer, {
      clients,
      jwks: { keys: this.#keys },
      cookies: { keys: ["local-provider-cookie-key"] },
      pkce: { required: () => true },
      clientDefaults: { id_token_signed_response_alg: "ES256" },
      scopes: ["openid", "email", "groups", "offline_access"],
      claims: { openid: ["sub"], email: ["email", "email_verified"], groups: ["groups"] },
      conformIdTokenClaims: false,
      ttl: {
        IdToken: options.idTokenTtl ?? 3600,
        AccessToken: options.accessTokenTtl ?? 3600,
        ClientCredentials: options.accessTokenTtl ?? 3600,
      },
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        registration: { enabled: true },
        rpInitiatedLogout: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx, _client, oneOf) => oneOf ?? undefined,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, resource) => {
            if (!resources.has(resource)) throw new errors.InvalidTarget();
            return resourceServerInfo(resource);
          },
        },
      },
      findAccount: async (_ctx, id) => {
        const user = users[id];
        if (!user) return undefined;
        return {
          accountId: id,
          claims: async () => ({ sub: id, email: user.email, email_verified: true, groups: user.groups }),
        };
      },
      // People's access tokens carry their email and groups too; an agent's carry its client's groups.
      extraTokenClaims: async (_ctx, token) => {
        // What a grant set itself (the exchange's `act`) is kept: these claims replace it otherwise.
        const own = "extra" in token && token.extra ? (token.extra as Record<string, unknown>) : {};
        const accountId = "accountId" in token ? token.accountId : undefined;
        if (typeof accountId === "string") {
          const user = users[accountId];
          return user ? { ...own, email: user.email, groups: user.groups } : own;
        }
        return { ...own, groups: clientGroups.get(token.clientId ?? "") ?? [] };
      },
      // First-party test clients: the user's login is consent enough.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        const client = oidc.client;
        const session = oidc.session;
        if (!client || !session?.accountId) return undefined;
        const known = oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
        if (known) return oidc.provider.Grant.find(known);
        const grant = new oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
        grant.addOIDCScope(String(oidc.params?.scope ?? "openid"));
        grant.addOIDCClaims(["email", "email_verified", "groups"]);
        const requested = oidc.params?.resource;
        for (const r of Array.isArray(requested) ? requested : requested ? [requested] : []) {
          if (typeof r === "string") grant.addResourceScope(r, "mcp");
        }
        await grant.save();
        return grant;
      },
    });
    provider.registerGrantType(TOKEN_EXCHANGE, this.#exchangeHandler(), [
      "subject_token",
      "subject_token_type",
      "resource",
    ]);
    provider.use(async (ctx, next) => {
      await next();
      const body = ctx.body as { id_token?: unknown } | undefined;
      if (this.tamper && ctx.path === "/token" && typeof body?.id_token === "string") {
        body.id_token = await this.#resign(body.id_token, this.tamper);
      }
    });
    return provider;
  }

  /** Token exchange: the subject token must be this provider's; the result names the agent in `act`. */
  #exchangeHandler() {
    return async (ctx: KoaContextWithOIDC): Promise<void> => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const client = ctx.oidc.client;
      if (!client) throw new errors.InvalidClient("client authentication failed");
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE || !params.subject_token)
        throw new errors.InvalidRequest("subject_token must be an access token");
      const jwks = createLocalJWKSet({ keys: this.#keys.map(publicPart) });
      const subject = await jwtVerify(params.subject_token, jwks, { issuer: this.issuer }).catch(() => {
        throw new errors.InvalidGrant("subject_token is not valid");
      });
      const accountId = subject.payload.sub;
      if (!accountId || !params.resource) throw new errors.InvalidRequest("subject and resource required");
      if (!this.#resources.has(params.resource)) throw new errors.InvalidTarget();
      const token = new ctx.oidc.provider.AccessToken({
        accountId,
        client,
        grantId: `exchange-${accountId}`,
        gty: "token_exchange",
        scope: "mcp",
        extra: { act: { sub: client.clientId } },
      });
      token.resourceServer = new (
        ctx.oidc.provider as unknown as { ResourceServer: ResourceServerClass }
      ).ResourceServer(params.resource, resourceServerInfo(params.resource));
      const value = await token.save();
      ctx.body = {
        access_token: value,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: "Bearer",
        expires_in: token.expiration,
      };
    };
  }

  async #resign(jwt: string, change: (claims: Record<string, unknown>) => Record<string, unknown>) {
    const key = this.#keys[0];
    if (!key) throw new Error("no signing key");
    const claims = change({ ...decodeJwt(jwt) });
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: String(key.kid), typ: "JWT" })
      .sign(await importJWK(key, "ES256"));
  }
}

type ResourceServerClass = new (identifier: string, info: ResourceServer) => ResourceServerInstance;

function resourceServerInfo(resource: string): ResourceServer {
  return { scope: "mcp", audience: resource, accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } };
}

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `k-${Math.random().toString(36).slice(2, 10)}`, alg: "ES256", use: "sig" };
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, ...rest } = jwk;
  return rest;
}
