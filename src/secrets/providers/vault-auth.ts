// How the vault provider logs in: a given token, or a login method (AppRole, Kubernetes, JWT) and the
// body of its `POST /v1/auth/<mount>/login`, its credential read afresh for each login.
import { readFile } from "node:fs/promises";
import { SecretError } from "../errors.js";
import { vaultPath } from "./vault-http.js";

/** Where a pod's Kubernetes service-account token is mounted; the kubelet rotates it in place. */
export const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * Warden's own credentials: a token (`tokenEnv`), or one login method. Logins are
 * `POST /v1/auth/<mount>/login`: AppRole with `role_id` and `secret_id` (mount `approle`); Kubernetes
 * with `role` and the service account's JWT, read from `jwtFile` (default the pod's token) at each login
 * since the kubelet rotates it (mount `kubernetes`); JWT with `role` (Vault's `default_role` when absent)
 * and a JWT read from `jwtFile` at each login, or given as `jwt` (mount `jwt`).
 */
export type VaultAuth =
  | { token: string }
  | { approle: { roleId: string; secretId: string; mount?: string } }
  | { kubernetes: { role: string; mount?: string; jwtFile?: string } }
  | { jwt: { role?: string; mount?: string; jwtFile?: string; jwt?: string } };

/** Throws when `auth` cannot log in whatever Vault says: a missing credential, or two JWT sources. */
export function checkAuth(provider: string, auth: VaultAuth): void {
  let missing: boolean;
  if ("token" in auth) missing = !auth.token;
  else if ("approle" in auth) missing = !auth.approle.roleId || !auth.approle.secretId;
  else if ("kubernetes" in auth) missing = !auth.kubernetes.role || auth.kubernetes.jwtFile === "";
  else missing = !auth.jwt.jwtFile === !auth.jwt.jwt || auth.jwt.role === "";
  if (missing) {
    throw new SecretError(
      "SECRET_PROVIDER_FAILED",
      `vault provider ${provider}: no credentials to log in with`,
    );
  }
}

/** The path and body of a login; a JWT file is read now, as it may have been rotated since the last. */
export async function loginRequest(
  provider: string,
  auth: Exclude<VaultAuth, { token: string }>,
): Promise<{ path: string; body: Record<string, unknown> }> {
  if ("approle" in auth) {
    const { roleId, secretId, mount } = auth.approle;
    return { path: loginPath(mount ?? "approle"), body: { role_id: roleId, secret_id: secretId } };
  }
  if ("kubernetes" in auth) {
    const { role, mount, jwtFile } = auth.kubernetes;
    const jwt = await readJwt(provider, jwtFile ?? SERVICE_ACCOUNT_TOKEN);
    return { path: loginPath(mount ?? "kubernetes"), body: { role, jwt } };
  }
  const { role, mount, jwtFile, jwt } = auth.jwt;
  return {
    path: loginPath(mount ?? "jwt"),
    body: { ...(role ? { role } : {}), jwt: jwtFile ? await readJwt(provider, jwtFile) : jwt },
  };
}

function loginPath(mount: string): string {
  return `auth/${vaultPath(mount, "auth mount")}/login`;
}

/** The JWT in `path`, without the whitespace around it. The error names the file, never what it holds. */
async function readJwt(provider: string, path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new SecretError(
      "SECRET_PROVIDER_FAILED",
      `vault provider ${provider}: cannot read the JWT file ${path} (${typeof code === "string" ? code : "error"})`,
      { error: "jwt_file_unreadable" },
    );
  }
  const jwt = text.trim();
  if (jwt === "") {
    throw new SecretError(
      "SECRET_PROVIDER_FAILED",
      `vault provider ${provider}: the JWT file ${path} is empty`,
      {
        error: "jwt_file_empty",
      },
    );
  }
  return jwt;
}
