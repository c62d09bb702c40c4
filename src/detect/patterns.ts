// The precompiled DLP patterns. secretlint (used by `warden scan`) is too slow for the hot path, so the
// gate keeps a compact set of anchored regexes for the credentials agents most often leak.

export type SecretKind =
  | "aws-access-key"
  | "aws-secret-key"
  | "gcp-api-key"
  | "azure-storage-key"
  | "github-token"
  | "slack-token"
  | "stripe-key"
  | "openai-key"
  | "private-key"
  | "jwt"
  | "bearer-token";

/** One pass per string: every alternative is a named group, so the match says which kind it was. */
export const SECRETS = new RegExp(
  [
    String.raw`(?<awsAccessKey>\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)`,
    String.raw`(?<awsSecretKey>aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40})`,
    String.raw`(?<gcpApiKey>\bAIza[0-9A-Za-z_-]{35})`,
    "(?<azureStorageKey>AccountKey=[A-Za-z0-9+/=]{86,88})",
    String.raw`(?<githubToken>\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,}))`,
    String.raw`(?<slackToken>\bxox[abposr]-[A-Za-z0-9-]{10,})`,
    String.raw`(?<stripeKey>\b[sr]k_live_[A-Za-z0-9]{20,})`,
    String.raw`(?<openaiKey>\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,})`,
    "(?<privateKey>-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----)",
    String.raw`(?<jwt>\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})`,
    String.raw`(?<bearerToken>\b[Bb]earer\s+[A-Za-z0-9._~+/-]{20,}=*)`,
  ].join("|"),
  "g",
);

export const GROUP_KIND: Record<string, SecretKind> = {
  awsAccessKey: "aws-access-key",
  awsSecretKey: "aws-secret-key",
  gcpApiKey: "gcp-api-key",
  azureStorageKey: "azure-storage-key",
  githubToken: "github-token",
  slackToken: "slack-token",
  stripeKey: "stripe-key",
  openaiKey: "openai-key",
  privateKey: "private-key",
  jwt: "jwt",
  bearerToken: "bearer-token",
};

// The look-behinds make each pattern start only at the beginning of a run, which keeps a long string
// without a match linear instead of quadratic.
export const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
// A phone number is not part of a longer digit group (a card number, an IBAN).
export const PHONE =
  /(?<![\w+]|\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)|\d{2,4})[ .-]\d{3,4}[ .-]?\d{3,4}(?!\w|[ .-]\d)/g;
export const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;
export const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;

/** Cheap first tests: most strings skip the regexes entirely. */
export const HAS_DIGIT = /\d/;
export const HAS_UPPER_DIGITS = /[A-Z]{2}\d{2}/;
