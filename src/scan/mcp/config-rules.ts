// Rules mcp-unpinned-server, mcp-inline-secret and mcp-insecure-transport over MCP client configs.

import { finding } from "../finding.js";
import { positionOf } from "../location.js";
import { looksLikeSecret } from "../rules/secrets.js";
import type { FileError, Finding, McpServerEntry } from "../types.js";
import { type McpServerConfig, readMcpConfig } from "./config-read.js";
import { type LaunchedPackage, launchedPackage } from "./launch.js";
import { bridgedUrls, isLoopbackHost, plainTextTarget } from "./plain-http.js";

/** Words that name a credential by themselves, and endings that make one (GITHUBTOKEN, apiKey, DB_PASSWD). */
const SECRET_WORDS = new Set([
  "auth",
  "oauth",
  "bearer",
  "authorization",
  "cookie",
  "credential",
  "credentials",
]);
const SECRET_ENDINGS = ["token", "key", "secret", "password", "passwd", "pwd", "credential", "credentials"];
/** A last word that says the value is about a credential, not one: TOKEN_FILE, OAUTH_CALLBACK_URL, PASSWORD_MIN_LENGTH. */
const DESCRIBES = new Set([
  "url",
  "uri",
  "endpoint",
  "host",
  "port",
  "path",
  "file",
  "dir",
  "name",
  "id",
  "type",
  "mode",
  "length",
  "len",
  "size",
  "min",
  "max",
  "timeout",
  "ttl",
  "enabled",
  "header",
  "count",
  "version",
]);

/** Whether an env or header name names a credential, word by word (AUTHOR_NAME and TOKENIZER do not). */
function secretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
  if (words.length === 0 || DESCRIBES.has(words.at(-1)!)) return false;
  return words.some((w) => SECRET_WORDS.has(w) || SECRET_ENDINGS.some((e) => w.endsWith(e)));
}
const SECRET_FLAG = /^--?(?:[\w-]*(?:api[-_]?key|token|secret|password|passwd|credential|auth)[\w-]*)$/i;

/** `${env:X}`, `${input:x}`, `$VAR`, `%VAR%`: the value is looked up at launch, not written here. */
const isReference = (v: string): boolean =>
  v.includes("${") || /^\$[A-Za-z_]\w*$/.test(v) || /^%\w+%$/.test(v);

/** A named value (env var, header) that holds a literal credential. */
async function secretValue(name: string, value: string): Promise<boolean> {
  if (value.length < 8 || isReference(value) || /^(?:true|false|yes|no|on|off|\d+)$/i.test(value))
    return false;
  // A URL is a secret by what it holds (a password, a key parameter), not by the name it is under.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return urlHoldsSecret(value) || looksLikeSecret(value);
  return secretName(name) || looksLikeSecret(value);
}

/** A password in the user part, or a credential query parameter with a literal value. */
function urlHoldsSecret(url: string): boolean {
  return /:\/\/[^/@\s]+:[^/@\s]+@|[?&](?:api[-_]?key|token|key|secret|access_token)=(?!\$)/i.test(url);
}

async function inlineSecrets(s: McpServerConfig): Promise<string[]> {
  const where: string[] = [];
  for (const [k, v] of Object.entries(s.env)) if (await secretValue(k, v)) where.push(`env.${k}`);
  for (const [k, v] of Object.entries(s.headers)) if (await secretValue(k, v)) where.push(`headers.${k}`);
  for (let i = 0; i < s.args.length; i++) {
    const arg = s.args[i]!;
    const eq = arg.indexOf("=");
    const flagged =
      (eq > 0 &&
        SECRET_FLAG.test(arg.slice(0, eq)) &&
        !isReference(arg.slice(eq + 1)) &&
        arg.length > eq + 1) ||
      (SECRET_FLAG.test(arg) && s.args[i + 1] !== undefined && !isReference(s.args[i + 1]!)) ||
      (!isReference(arg) && (await looksLikeSecret(arg)));
    if (flagged) where.push(`args[${SECRET_FLAG.test(arg) ? i + 1 : i}]`);
  }
  if (s.url && urlHoldsSecret(s.url)) where.push("url");
  return where;
}

const MASK = "[redacted]";

/** `--key=value` keeps its flag; any other flagged argument is hidden whole. */
function maskArg(arg: string): string {
  const eq = arg.indexOf("=");
  return eq > 0 && SECRET_FLAG.test(arg.slice(0, eq)) ? `${arg.slice(0, eq + 1)}${MASK}` : MASK;
}

/** A URL without the password of its user part and the values of its credential query parameters. */
function maskUrl(url: string): string {
  return url
    .replace(/(:\/\/[^/@\s:]+:)[^/@\s]+@/, `$1${MASK}@`)
    .replace(/([?&](?:api[-_]?key|token|key|secret|access_token)=)[^&#]*/gi, `$1${MASK}`);
}

/**
 * The packages a server command launches: its own, and the one after `--` when it is a gateway in front
 * of another server (`warden mcp … -- npx -y pkg`, as `warden mcp wrap` writes): wrapping must not hide it.
 */
function launchedPackages(command: string, args: readonly string[]): LaunchedPackage[] {
  const own = launchedPackage(command, args);
  const dash = args.indexOf("--");
  const next = dash >= 0 ? args[dash + 1] : undefined;
  const inner = next === undefined ? undefined : launchedPackage(next, args.slice(dash + 2));
  return [own, inner].filter((p) => p !== undefined);
}

export interface McpConfigResult {
  findings: Finding[];
  errors: FileError[];
  servers: (McpServerEntry & { config: McpServerConfig })[];
}

/** Findings and server list for one MCP client config file. */
export async function checkMcpConfig(rel: string, text: string): Promise<McpConfigResult> {
  const read = readMcpConfig(rel, text);
  if ("error" in read) return { findings: [], errors: [read.error], servers: [] };
  const findings: Finding[] = [];
  const servers: McpConfigResult["servers"] = [];
  for (const s of read.servers) {
    const at = s.at ?? positionOf(text, `"${s.name}"`);
    const secrets = await inlineSecrets(s);
    // The report lists each server's launch line: never with the secrets this rule flags in it.
    const entry: McpServerEntry = { file: rel, name: s.name, transport: s.transport };
    if (s.command !== undefined) {
      const args = s.args.map((a, i) => (secrets.includes(`args[${i}]`) ? maskArg(a) : a));
      Object.assign(entry, { command: s.command, args });
    }
    if (s.url !== undefined) entry.url = secrets.includes("url") ? maskUrl(s.url) : s.url;
    servers.push({ ...entry, config: s });
    for (const pkg of s.command ? launchedPackages(s.command, s.args) : []) {
      if (pkg.pinned) continue;
      const msg = `server "${s.name}" runs ${pkg.runner} ${pkg.spec} without a pinned version`;
      findings.push(finding("mcp-unpinned-server", rel, at, msg, s.name));
    }
    if (secrets.length > 0) {
      const msg = `server "${s.name}" has an inline secret in ${secrets.join(", ")}`;
      findings.push(finding("mcp-inline-secret", rel, at, msg, s.name));
    }
    const urls = [
      ...(s.url === undefined ? [] : [s.url]),
      ...(s.command ? bridgedUrls(s.command, s.args) : []),
    ];
    for (const plain of urls.map(plainTextTarget)) {
      if (!plain || isLoopbackHost(plain.host)) continue;
      const msg = `server "${s.name}" is reached over plain ${plain.scheme}:// at ${plain.host || "(no host)"}: its credentials and tool results cross the network unencrypted`;
      findings.push(finding("mcp-insecure-transport", rel, at, msg, s.name));
    }
  }
  return { findings, errors: [], servers };
}
