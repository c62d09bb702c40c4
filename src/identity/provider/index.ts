// An OpenID provider as a source of identity: its config, its tokens' verification, its claims as roles.
export { groupsOf, identityOf, type ProviderIdentity, personName, roleOf } from "./claims.js";
export {
  isLoopback,
  type ProviderConfig,
  type ProviderDocument,
  type ProviderRole,
  providerConfig,
  providerSchema,
} from "./config.js";
export { currentProviderTokens, looksLikeJwt } from "./current.js";
export { discover, type Fetch, type ProviderMetadata } from "./discovery.js";
export { JwksCache } from "./jwks.js";
export { SIGN_ON_WINDOW_MS, type SignedOn, SignOn, type SignOnOptions } from "./sign-on.js";
export { ALGORITHMS, ProviderTokens, type VerifierOptions } from "./verifier.js";
