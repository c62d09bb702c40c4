// JS/TS rules inside tool functions: file writes/deletes on argument paths, network calls to computed URLs.

import { type FunctionLike, type Node, objectProp, references, unwrap, walk } from "../js/ast.js";
import { type FileBindings, isUnbound, resolveCallee } from "../js/bindings.js";
import { staticPrefix, staticString } from "../js/static-string.js";
import { taintedNames } from "../js/taint.js";

export interface ToolHit {
  ruleId: "code-tool-arg-file-write" | "code-tool-dynamic-url";
  node: Node;
  message: string;
}

const FS_SOURCES = new Set(["fs", "fs/promises", "fs-extra", "graceful-fs", "rimraf"]);
/** Write/delete functions and which arguments are the paths they change. */
const FS_WRITES: Record<string, number[]> = {
  writeFile: [0],
  writeFileSync: [0],
  appendFile: [0],
  appendFileSync: [0],
  createWriteStream: [0],
  rm: [0],
  rmSync: [0],
  rmdir: [0],
  rmdirSync: [0],
  unlink: [0],
  unlinkSync: [0],
  truncate: [0],
  truncateSync: [0],
  rename: [0, 1],
  renameSync: [0, 1],
  copyFile: [1],
  copyFileSync: [1],
  cp: [1],
  cpSync: [1],
  symlink: [1],
  symlinkSync: [1],
  outputFile: [0],
  outputFileSync: [0],
  outputJson: [0],
  writeJson: [0],
  writeJsonSync: [0],
  remove: [0],
  removeSync: [0],
  emptyDir: [0],
  rimraf: [0],
  "": [0],
};
const HTTP_SOURCES = new Set([
  "undici",
  "node-fetch",
  "axios",
  "got",
  "ky",
  "http",
  "https",
  "superagent",
  "cross-fetch",
]);
const HTTP_METHODS = new Set([
  "",
  "fetch",
  "request",
  "get",
  "post",
  "put",
  "patch",
  "delete",
  "head",
  "options",
  "stream",
]);

/** True when the URL expression has a literal scheme and host (`https://api.x/${p}` is fine). */
function fixedOrigin(node: Node, b: FileBindings): boolean {
  const n = unwrap(node);
  if (n.type === "NewExpression" && n.callee.type === "Identifier" && n.callee.name === "URL") {
    const [path, base] = n.arguments as Node[];
    return base ? fixedOrigin(base, b) : path !== undefined && fixedOrigin(path, b);
  }
  if (staticString(n, b.constStrings) !== undefined) return true;
  return /^[a-z][a-z\d+.-]*:\/\/[^/?#]+[/?#]/i.test(staticPrefix(n, b.constStrings));
}

function urlArg(args: readonly Node[]): Node | undefined {
  const first = args[0];
  if (!first || unwrap(first).type !== "ObjectExpression") return first;
  return objectProp(first, "url") ?? objectProp(first, "hostname") ?? objectProp(first, "host");
}

function fsHit(name: string, args: readonly Node[], tainted: ReadonlySet<string>): boolean {
  const key = name.startsWith("promises.") ? name.slice(9) : name;
  const positions = FS_WRITES[key];
  return positions?.some((i) => args[i] !== undefined && references(args[i]!, tainted)) ?? false;
}

function isHttpCall(callee: Node, b: FileBindings): boolean {
  const c = unwrap(callee);
  if (c.type === "Identifier" && c.name === "fetch" && isUnbound(c, b)) return true;
  const r = resolveCallee(callee, b);
  return r !== undefined && HTTP_SOURCES.has(r.source) && HTTP_METHODS.has(r.name);
}

/** Findings for the calls inside one tool function (including nested closures). */
export function checkToolBody(fn: FunctionLike, b: FileBindings): ToolHit[] {
  const hits: ToolHit[] = [];
  const tainted = taintedNames(fn);
  if (!fn.body) return hits;
  walk(fn.body, (node) => {
    if (node.type !== "CallExpression") return;
    const args = node.arguments as Node[];
    const r = resolveCallee(node.callee, b);
    if (r && FS_SOURCES.has(r.source) && fsHit(r.name, args, tainted)) {
      const what = r.name || r.source;
      hits.push({
        ruleId: "code-tool-arg-file-write",
        node,
        message: `${what}() on a path taken from the tool's arguments`,
      });
      return;
    }
    if (isHttpCall(node.callee, b)) {
      const url = urlArg(args);
      if (url && !fixedOrigin(url, b)) {
        hits.push({
          ruleId: "code-tool-dynamic-url",
          node,
          message: "network call inside a tool to a URL whose origin is not literal",
        });
      }
    }
  });
  return hits;
}
