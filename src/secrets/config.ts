// The secrets stage's configuration: the `secrets:` section (zod fragment) and what it compiles to.
import * as z from "zod";
import { compileGlobs, duration, envName, globs, httpUrl, upToAWeek } from "../config/index.js";

/** How a leased secret reaches the tool: never through the model-visible arguments. */
const inject = z.union([
  z.strictObject({ env: envName }),
  z.strictObject({
    header: z.strictObject({
      host: z.string().min(1).max(253),
      name: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "an HTTP header name"),
      prefix: z.string().max(64).optional(),
    }),
  }),
  z.strictObject({ context: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "an identifier") }),
]);
const secretName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a secret name uses letters, digits and _ . -");
/** The ways a vault provider logs in: exactly one is given. */
const VAULT_AUTH = ["tokenEnv", "approle", "kubernetes", "jwt"] as const;
const authMount = z.string().min(1).optional();
const vaultProvider = z
  .strictObject({
    type: z.literal("vault"),
    address: httpUrl("address"),
    /** A Vault token in this variable; renewed while Vault allows when it expires. */
    tokenEnv: envName.optional(),
    approle: z.strictObject({ roleIdEnv: envName, secretIdEnv: envName, mount: authMount }).optional(),
    /** Kubernetes auth: the pod's service-account JWT (re-read at each login: the kubelet rotates it). */
    kubernetes: z
      .strictObject({ role: z.string().min(1), mount: authMount, jwtFile: z.string().min(1).optional() })
      .optional(),
    /** JWT auth: a JWT from a file (re-read at each login) or a variable; `role` else Vault's default_role. */
    jwt: z
      .strictObject({
        role: z.string().min(1).optional(),
        mount: authMount,
        jwtFile: z.string().min(1).optional(),
        jwtEnv: envName.optional(),
      })
      .refine((j) => (j.jwtFile === undefined) !== (j.jwtEnv === undefined), {
        message: "a jwt login reads its JWT from either `jwtFile` or `jwtEnv`",
      })
      .optional(),
    namespace: z.string().min(1).optional(),
    /** PEM file of the CA certificates trusted for an https address (default the system's). */
    caFile: z.string().min(1).optional(),
    /** The name Vault's certificate carries, when the address's host is not it (an IP, an internal alias). */
    serverName: z.string().min(1).max(253).optional(),
    /** Per request to Vault (default 5s); a tool call waiting for a secret waits at most a few of these. */
    timeout: duration
      .refine((ms) => ms >= 100 && ms <= 120_000, { message: "between 100ms and 2m" })
      .optional(),
    /** Retries of transient answers (412, 429, 502, 503 but sealed, 504) within `timeout`. */
    retry: z
      .strictObject({
        attempts: z.int().min(1).max(10).optional(),
        minDelay: duration.optional(),
        maxDelay: duration.optional(),
      })
      .optional(),
  })
  .superRefine((p, ctx) => {
    const given = VAULT_AUTH.filter((k) => p[k] !== undefined);
    if (given.length === 1) return;
    const ways = "`tokenEnv`, `approle`, `kubernetes` or `jwt`";
    if (given.length === 0) {
      ctx.addIssue({ code: "custom", path: [], message: `a vault provider needs one of ${ways}` });
      return;
    }
    for (const key of given.slice(1)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `a vault provider logs in one way: \`${key}\` and \`${given[0]}\` are both set; keep one of ${ways}`,
      });
    }
  });
const secretProvider = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("env") }),
  z.strictObject({ type: z.literal("file") }),
  vaultProvider,
  z.strictObject({
    type: z.literal("postgres"),
    adminUrlEnv: envName,
    group: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "a PostgreSQL role name"),
  }),
]);
/** `secrets:` — providers, the secrets they make, which tools get them and how, and what results may show. */
export const secretsSchema = z.strictObject({
  /** Tool results holding a credential (cloud keys, private keys, JWTs, bearer tokens): mask or refuse. */
  results: z.enum(["redact", "block"]).optional(),
  providers: z
    .record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a provider name"), secretProvider)
    .optional(),
  items: z.record(
    secretName,
    z.strictObject({
      provider: z.string().min(1),
      tools: globs.min(1),
      inject,
      maxTtl: upToAWeek.optional(),
      /** env: the variable; file: the path; vault: `kv` or `creds`. */
      variable: envName.optional(),
      path: z.string().min(1).optional(),
      kv: z
        .strictObject({
          mount: z.string().min(1),
          path: z.string().min(1),
          field: z.string().min(1),
          version: z.int().positive().optional(),
          /** The KV engine's version (the mount's `version` option): 2 by default. */
          kvVersion: z.union([z.literal(1), z.literal(2)]).optional(),
        })
        .refine((kv) => kv.kvVersion !== 1 || kv.version === undefined, {
          message: "a KV v1 secret has no versions: drop `version` or use kvVersion 2",
        })
        .optional(),
      creds: z
        .strictObject({
          mount: z.string().min(1),
          role: z.string().min(1),
          field: z.string().min(1).optional(),
        })
        .optional(),
    }),
  ),
});

export type SecretsDocument = z.output<typeof secretsSchema>;

/** A KV read, the value of `field`: `GET /v1/<mount>/data/<path>` (KV v2), `GET /v1/<mount>/<path>` (v1). */
export interface VaultKvSource {
  mount: string;
  path: string;
  field: string;
  /** A fixed version (KV v2); the latest when absent. */
  version?: number | undefined;
  /** The engine's version, 2 when absent. */
  kvVersion?: 1 | 2 | undefined;
}

/** Dynamic credentials: `GET /v1/<mount>/creds/<role>`; `field` is the secret (default `password`). */
export interface VaultCredsSource {
  mount: string;
  role: string;
  field?: string | undefined;
}

/** How a leased secret reaches a tool: an env variable of a sandboxed command, a header the egress proxy adds, or the context object of an in-process tool. */
export type SecretInjection =
  | { env: string }
  | { header: { host: string; name: string; prefix?: string | undefined } }
  | { context: string };

/**
 * One named secret: which provider makes it, which tools may receive it (globs), how it reaches them,
 * and how long a lease may live at most. The source fields a provider reads are its own: `variable`
 * (env), `path` (file), `kv` or `creds` (vault); the postgres provider needs none.
 */
export interface SecretSpec {
  name: string;
  provider: string;
  tools: readonly string[];
  maxTtlMs: number;
  inject: SecretInjection;
  variable?: string;
  path?: string;
  kv?: VaultKvSource;
  creds?: VaultCredsSource;
}

export type SecretProviderConfig =
  | { type: "env" }
  | { type: "file" }
  | {
      type: "vault";
      address: string;
      tokenEnv?: string | undefined;
      approle?: { roleIdEnv: string; secretIdEnv: string; mount?: string | undefined } | undefined;
      kubernetes?: { role: string; mount?: string | undefined; jwtFile?: string | undefined } | undefined;
      jwt?:
        | {
            role?: string | undefined;
            mount?: string | undefined;
            jwtFile?: string | undefined;
            jwtEnv?: string | undefined;
          }
        | undefined;
      namespace?: string | undefined;
      caFile?: string | undefined;
      serverName?: string | undefined;
      timeout?: number | undefined;
      retry?:
        | { attempts?: number | undefined; minDelay?: number | undefined; maxDelay?: number | undefined }
        | undefined;
    }
  | { type: "postgres"; adminUrlEnv: string; group: string };

/** The `secrets:` section, read at start (like `export:`): providers hold connections. */
export interface SecretsSettings {
  items: readonly SecretSpec[];
  providers: Readonly<Record<string, SecretProviderConfig>>;
  /** `secrets.results` as written ("redact" when unset): the policy-wide setting. */
  results: "redact" | "block";
  /**
   * What `tool`'s results get: `secrets.results` when the policy sets it; otherwise `block` for a tool
   * that receives a secret through `env` (it holds the value and can print it in a form no masking
   * recognises), `redact` for the rest.
   */
  resultsFor(tool: string): "redact" | "block";
}

/** The `secrets:` section compiled: items with defaults, the built-in providers, the results rule per tool. */
export function compileSecrets(doc: SecretsDocument): SecretsSettings {
  const items: SecretSpec[] = Object.entries(doc.items).map(([name, item]) => ({
    name,
    provider: item.provider,
    tools: [...item.tools],
    maxTtlMs: item.maxTtl ?? 3_600_000,
    inject: item.inject,
    ...(item.variable !== undefined ? { variable: item.variable } : {}),
    ...(item.path !== undefined ? { path: item.path } : {}),
    ...(item.kv !== undefined ? { kv: item.kv } : {}),
    ...(item.creds !== undefined ? { creds: item.creds } : {}),
  }));
  const envTools = compileGlobs(items.filter((i) => "env" in i.inject).flatMap((i) => i.tools));
  const explicit = doc.results;
  return {
    items,
    providers: { env: { type: "env" }, file: { type: "file" }, ...doc.providers },
    results: explicit ?? "redact",
    resultsFor: (tool) => explicit ?? (envTools(tool) ? "block" : "redact"),
  };
}
