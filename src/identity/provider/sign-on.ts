// Single sign-on for people: the OpenID Connect authorization code flow with PKCE (openid-client, a certified
// relying party). A started login lives in the browser, sealed, not in this process: starting logins is
// unauthenticated, so a table of them would be memory (and evictions) anyone could drive.
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from "node:crypto";
import * as oidc from "openid-client";
import { WardenError } from "../../errors.js";
import { groupsOf, identityOf, type ProviderIdentity, roleOf } from "./claims.js";
import type { ProviderConfig } from "./config.js";

/** A login has this long from the redirect to the provider until its callback. */
export const SIGN_ON_WINDOW_MS = 10 * 60_000;

/** A started login, as sealed into the browser's cookie. */
interface Pending {
  state: string;
  verifier: string;
  nonce: string;
  redirectUri: string;
  next: string;
  startedAt: number;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds a sealed value to this use: the same key sealing anything else would not open here. */
const SEAL_AAD = Buffer.from("warden sso login v1");

export interface SignedOn {
  identity: ProviderIdentity;
  /** Kept to end the provider's session at logout (RP-initiated logout's id_token_hint). */
  idToken: string;
  next: string;
}

export interface SignOnOptions {
  /** The client secret (from `clientSecretEnv`); null for a public client, which PKCE alone protects. */
  clientSecret: string | null;
  /**
   * 32 bytes that seal started logins (AES-256-GCM); random when absent. A login finishes only where
   * its key is: pass one key to every SignOn that should accept the same logins (e.g. across reloads).
   */
  sealKey?: Uint8Array;
  now?: () => number;
}

/**
 * @example
 * const sso = new SignOn(config, { clientSecret: null });
 * const { url, state } = await sso.start("https://warden.example.com/ui/sso/callback", "/approvals");
 * // set `state` as the browser's cookie; the browser returns to the callback with ?code&state …
 * const { identity } = await sso.finish(new URL(callbackUrl), stateFromCookie);
 */
export class SignOn {
  readonly #config: ProviderConfig;
  readonly #clientId: string;
  readonly #secret: string | null;
  readonly #now: () => number;
  readonly #key: Buffer;
  /**
   * States of sign-ins completed in the last SIGN_ON_WINDOW_MS, so a replayed callback is refused here
   * too (the provider refuses a used code as well). Only a person the provider signed on adds one.
   */
  readonly #used = new Map<string, number>();
  #client: Promise<oidc.Configuration> | null = null;

  constructor(config: ProviderConfig, options: SignOnOptions) {
    if (config.clientId === null)
      throw new WardenError("INVALID_REQUEST", "single sign-on needs identity.provider.clientId");
    this.#config = config;
    this.#clientId = config.clientId;
    this.#secret = options.clientSecret;
    this.#now = options.now ?? Date.now;
    const key = options.sealKey ?? randomBytes(32);
    if (key.length !== 32) throw new RangeError("a sign-on seal key has 32 bytes");
    this.#key = Buffer.from(key);
  }

  /**
   * The provider's authorization URL for a new login, and the sealed login the browser must keep (as a
   * cookie) and bring back: the `state`, the nonce and the PKCE verifier, encrypted and authenticated.
   */
  async start(redirectUri: string, next: string): Promise<{ url: string; state: string }> {
    const client = await this.#configuration();
    const pending: Pending = {
      state: oidc.randomState(),
      verifier: oidc.randomPKCECodeVerifier(),
      nonce: oidc.randomNonce(),
      redirectUri,
      next,
      startedAt: this.#now(),
    };
    const url = oidc.buildAuthorizationUrl(client, {
      redirect_uri: redirectUri,
      scope: this.#config.scopes.join(" "),
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: "S256",
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, state: this.#seal(pending) };
  }

  /**
   * Completes a login from the callback URL. `browserState` is the sealed login from this browser's
   * cookie: it must open under our key, be within its window, not completed already, and name the state
   * the provider sent back (so the callback URL alone, without the cookie, signs no one on). The code is
   * exchanged with the sealed PKCE verifier and the ID token checked (signature, issuer, audience = our
   * client, expiry, the sealed nonce).
   */
  async finish(callbackUrl: URL, browserState: string | undefined): Promise<SignedOn> {
    const state = callbackUrl.searchParams.get("state") ?? "";
    const pending = browserState === undefined ? null : this.#open(browserState);
    const now = this.#now();
    this.#prune(now);
    if (!pending || now - pending.startedAt > SIGN_ON_WINDOW_MS || this.#used.has(pending.state))
      throw new WardenError("SSO_FAILED", "this sign-in is unknown, expired or already used; sign in again", {
        reason: "state",
      });
    if (!sameString(pending.state, state))
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
    // The provider spent the code on this sign-in: a replay of the callback is refused by its state.
    this.#used.set(pending.state, pending.startedAt);
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

  #seal(pending: Pending): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(SEAL_AAD);
    const body = Buffer.concat([cipher.update(JSON.stringify(pending), "utf8"), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
  }

  /** The sealed login, or null when it was not sealed by our key (forged, altered, another server's). */
  #open(sealed: string): Pending | null {
    const raw = Buffer.from(sealed, "base64url");
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(SEAL_AAD);
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const text = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
      return JSON.parse(text) as Pending;
    } catch {
      return null;
    }
  }

  /** Forgets completed sign-ins past their window: their cookies are refused as expired anyway. */
  #prune(now: number): void {
    for (const [state, startedAt] of this.#used) {
      if (now - startedAt > SIGN_ON_WINDOW_MS) this.#used.delete(state);
      else break; // about age order: a straggler goes with a later prune
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
