// Single sign-on for people: the OpenID Connect authorization code flow with PKCE (openid-client, a certified
// relying party), one pending state per started login, used once.
import { timingSafeEqual } from "node:crypto";
import * as oidc from "openid-client";
import { WardenError } from "../../errors.js";
import { groupsOf, identityOf, type ProviderIdentity, roleOf } from "./claims.js";
import type { ProviderConfig } from "./config.js";

/** A login has this long from the redirect to the provider until its callback. */
export const SIGN_ON_WINDOW_MS = 10 * 60_000;
/** Started logins kept at most: a flood of starts pushes out the oldest, memory stays bounded. */
const MAX_PENDING = 10_000;

interface Pending {
  verifier: string;
  nonce: string;
  redirectUri: string;
  next: string;
  startedAt: number;
}

export interface SignedOn {
  identity: ProviderIdentity;
  /** Kept to end the provider's session at logout (RP-initiated logout's id_token_hint). */
  idToken: string;
  next: string;
}

export interface SignOnOptions {
  /** The client secret (from `clientSecretEnv`); null for a public client, which PKCE alone protects. */
  clientSecret: string | null;
  now?: () => number;
}

/**
 * @example
 * const sso = new SignOn(config, { clientSecret: null });
 * const { url, state } = await sso.start("https://warden.example.com/ui/sso/callback", "/approvals");
 * // … the browser returns to the callback with ?code&state …
 * const { identity } = await sso.finish(new URL(callbackUrl), stateFromCookie);
 */
export class SignOn {
  readonly #config: ProviderConfig;
  readonly #clientId: string;
  readonly #secret: string | null;
  readonly #now: () => number;
  readonly #pending = new Map<string, Pending>();
  #client: Promise<oidc.Configuration> | null = null;

  constructor(config: ProviderConfig, options: SignOnOptions) {
    if (config.clientId === null)
      throw new WardenError("INVALID_REQUEST", "single sign-on needs identity.provider.clientId");
    this.#config = config;
    this.#clientId = config.clientId;
    this.#secret = options.clientSecret;
    this.#now = options.now ?? Date.now;
  }

  /** The provider's authorization URL for a new login, and the state the browser must bring back. */
  async start(redirectUri: string, next: string): Promise<{ url: string; state: string }> {
    const client = await this.#configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    this.#prune();
    this.#pending.set(state, { verifier, nonce, redirectUri, next, startedAt: this.#now() });
    const url = oidc.buildAuthorizationUrl(client, {
      redirect_uri: redirectUri,
      scope: this.#config.scopes.join(" "),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Completes a login from the callback URL. The state must be one this instance started, not yet used,
   * and the one this browser holds (`browserState`, from its cookie); the code is exchanged with the PKCE
   * verifier and the ID token checked (signature, issuer, audience = our client, expiry, nonce).
   */
  async finish(callbackUrl: URL, browserState: string | undefined): Promise<SignedOn> {
    const state = callbackUrl.searchParams.get("state") ?? "";
    const pending = this.#pending.get(state);
    // Used once: a replayed callback finds nothing.
    this.#pending.delete(state);
    if (!pending || this.#now() - pending.startedAt > SIGN_ON_WINDOW_MS)
      throw new WardenError("SSO_FAILED", "this sign-in is unknown, expired or already used; sign in again", {
        reason: "state",
      });
    if (!sameString(browserState, state))
      throw new WardenError("SSO_FAILED", "this sign-in was started in another browser", { reason: "state" });
    const providerError = callbackUrl.searchParams.get("error");
    if (providerError !== null)
      throw new WardenError("SSO_FAILED", "the identity provider refused the sign-in", {
        reason: "provider",
      });
    const client = await this.#configuration();
    // What the provider redirected to, rebuilt on the redirect URI we sent (the request's own host may differ behind a proxy).
    const current = new URL(pending.redirectUri);
    current.search = callbackUrl.search;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(client, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new WardenError("SSO_FAILED", `the sign-in could not be completed: ${reasonOf(err)}`, {
        reason: reasonOf(err),
      });
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token)
      throw new WardenError("SSO_FAILED", "no ID token", { reason: "id_token" });
    // People only: an identity whose groups make it an agent is refused before its claims are read as one.
    if (roleOf(groupsOf(claims, this.#config), this.#config) === "agent")
      throw new WardenError("FORBIDDEN", "an agent's identity cannot use the dashboard");
    const identity = identityOf(claims, this.#config);
    if (identity.role === "agent")
      throw new WardenError("FORBIDDEN", "an agent's identity cannot use the dashboard");
    return { identity, idToken: tokens.id_token, next: pending.next };
  }

  /** Where to send the browser to end the provider's session too (null when the provider has no such endpoint). */
  async logoutUrl(idToken: string, postLogoutRedirectUri: string): Promise<string | null> {
    const client = await this.#configuration();
    if (!client.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(client, {
      id_token_hint: idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
    }).href;
  }

  /** How many started logins wait for their callback. */
  get pending(): number {
    return this.#pending.size;
  }

  #configuration(): Promise<oidc.Configuration> {
    this.#client ??= oidc
      .discovery(
        new URL(this.#config.issuer),
        this.#clientId,
        undefined,
        this.#secret === null ? oidc.None() : oidc.ClientSecretBasic(this.#secret),
        // Plain http passes the config's check only for a loopback provider.
        new URL(this.#config.issuer).protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {},
      )
      .catch((err: unknown) => {
        this.#client = null;
        throw new WardenError(
          "PROVIDER_UNAVAILABLE",
          `the identity provider's discovery failed: ${reasonOf(err)}`,
        );
      });
    return this.#client;
  }

  #prune(): void {
    const now = this.#now();
    for (const [state, p] of this.#pending) {
      if (now - p.startedAt > SIGN_ON_WINDOW_MS) this.#pending.delete(state);
      else break; // insertion order is age order
    }
    while (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.#pending.delete(oldest);
    }
  }
}

function sameString(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** openid-client's error code, or a generic word: never the token or the provider's full answer. */
function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; error?: unknown; cause?: { claim?: unknown } };
  if (typeof e.cause?.claim === "string") return `claim ${e.cause.claim}`;
  if (typeof e.error === "string") return e.error;
  if (typeof e.code === "string") return e.code;
  return "failed";
}
