// `${VAR}` and `${VAR:-default}` in an upstream's settings, expanded from the environment at launch, so
// secrets stay in the environment and out of the policy (whose digest and load records go to the ledger).
import { type LaunchedServer, REFERENCE, unsupportedReference, VARIABLE } from "./config.js";
import { McpGatewayError } from "./errors.js";

/** Expands every reference in `text`; a variable that is unset and has no default fails the launch. */
export function expandVars(text: string, env: NodeJS.ProcessEnv, where: string): string {
  const unsupported = unsupportedReference(text);
  if (unsupported !== null) throw new McpGatewayError("MCP_CONFIG_INVALID", `${where}: ${unsupported}`);
  return text.replace(REFERENCE, (_, inner: string) => {
    const [, name = "", fallback] = VARIABLE.exec(inner) ?? [];
    const value = env[name];
    if (value !== undefined && value !== "") return value;
    if (fallback !== undefined) return fallback;
    throw new McpGatewayError("MCP_CONFIG_INVALID", `${where}: environment variable ${name} is not set`);
  });
}

const expandMap = (map: Record<string, string>, env: NodeJS.ProcessEnv, where: string) =>
  Object.fromEntries(Object.entries(map).map(([k, v]) => [k, expandVars(v, env, `${where}.${k}`)]));

/** The server's settings with every reference expanded (command, args, env, cwd, url, headers). */
export function expandSpec(spec: LaunchedServer, env: NodeJS.ProcessEnv = process.env): LaunchedServer {
  const where = `mcp.servers.${spec.name}`;
  return {
    ...spec,
    command: spec.command?.map((part, i) => expandVars(part, env, `${where}.command[${i}]`)) ?? null,
    env: expandMap(spec.env, env, `${where}.env`),
    cwd: spec.cwd === null ? null : expandVars(spec.cwd, env, `${where}.cwd`),
    url: spec.url === null ? null : expandVars(spec.url, env, `${where}.url`),
    headers: expandMap(spec.headers, env, `${where}.headers`),
  };
}
