// `shell.parse(cmd)`: a command line read with the bash grammar (tree-sitter-bash): every command it would
// run, inside substitutions and subshells too, and what else it does (pipes, redirections, operators).
import { createRequire } from "node:module";
import { CelScalar, celFunc, mapType } from "@bufbuild/cel";
import { Language, type Node, Parser } from "web-tree-sitter";

const MAX_INPUT = 64 * 1024;

/** Loaded when the policy module loads: conditions run synchronously, so the grammar must be ready. */
const parser = await (async () => {
  await Parser.init();
  const require = createRequire(import.meta.url);
  const language = await Language.load(require.resolve("tree-sitter-bash/tree-sitter-bash.wasm"));
  const p = new Parser();
  p.setLanguage(language);
  return p;
})();

export interface ShellCommand {
  /** The command name after quote removal (`'r'm` is rm); its source text when it is not static. */
  name: string;
  args: string[];
  /** True when the name or an argument depends on run time: an expansion, a substitution, a glob. */
  dynamic: boolean;
}

export interface ShellScript {
  commands: ShellCommand[];
  /** `$(…)`, backticks, `<(…)`, `>(…)`. */
  substitutions: boolean;
  /** `$X`, `${X}`, `${IFS}`, `$((…))`. */
  expansions: boolean;
  /** `>`, `>>`, `<`, `2>&1`, here-documents and here-strings. */
  redirections: boolean;
  /** `|` and `|&`. */
  pipes: boolean;
  /** More than one pipeline: `;`, `&&`, `||`, `&`, a newline. */
  operators: boolean;
  /** `if`, `while`, `for`, `case`, functions, `( … )` and `{ …; }`. */
  compound: boolean;
  /** `NAME=value` assignments, alone or before a command (`LD_PRELOAD=… ls`). */
  assignments: boolean;
}

const SUBSTITUTION = new Set(["command_substitution", "process_substitution"]);
const EXPANSION = new Set(["simple_expansion", "expansion", "arithmetic_expansion"]);
const REDIRECTION = new Set(["file_redirect", "heredoc_redirect", "herestring_redirect"]);
const COMPOUND = new Set([
  "if_statement",
  "while_statement",
  "for_statement",
  "c_style_for_statement",
  "case_statement",
  "function_definition",
  "subshell",
  "compound_statement",
]);
/** Node kinds that hold a sequence of statements: more than one statement there is a control operator. */
const SEQUENCES = new Set(["program", "subshell", "compound_statement", "do_group", "command_substitution"]);
/** Nodes that run one command: simple commands, declaration builtins, `[ … ]` and `[[ … ]]`. */
const COMMANDS = new Set(["command", "declaration_command", "unset_command", "test_command"]);
/** Characters that make an unquoted word a pattern the shell expands against the file system. */
const GLOB = /[*?[]/;

/** Parses `source` as bash. Throws on a syntax error: a command line the grammar cannot read fails closed. */
export function parseShell(source: string): ShellScript {
  if (source.length > MAX_INPUT) throw new Error("shell.parse: command too long");
  const tree = parser.parse(source);
  if (tree === null) throw new Error("shell.parse: the parser gave up");
  try {
    const root = tree.rootNode;
    if (root.hasError) throw new Error("shell.parse: not a valid shell command");
    const script: ShellScript = {
      commands: [],
      substitutions: false,
      expansions: false,
      redirections: false,
      pipes: false,
      operators: false,
      compound: false,
      assignments: false,
    };
    visit(root, script, source);
    return script;
  } finally {
    tree.delete();
  }
}

function visit(node: Node, script: ShellScript, source: string): void {
  const type = node.type;
  if (SUBSTITUTION.has(type)) script.substitutions = true;
  else if (EXPANSION.has(type)) script.expansions = true;
  else if (REDIRECTION.has(type)) script.redirections = true;
  else if (type === "pipeline") script.pipes = true;
  else if (type === "list") script.operators = true;
  else if (type === "variable_assignment" || type === "variable_assignments") script.assignments = true;
  if (COMPOUND.has(type)) script.compound = true;
  if (SEQUENCES.has(type) && statements(node) > 1) script.operators = true;
  // A trailing `&` runs the command in the background: the next one starts at once.
  if (node.children.some((c) => c !== null && !c.isNamed && c.type === "&")) script.operators = true;
  if (COMMANDS.has(type)) {
    refuseJoinedWords(node, source);
    script.commands.push(command(node));
  }
  for (const child of node.namedChildren) if (child !== null) visit(child, script, source);
}

/**
 * Bash removes a backslash-newline before it splits words, so `r\<newline>m -rf /` runs rm; the grammar
 * reads the continuation as a space between `r` and `m`. Two parts of a command with nothing but
 * continuations between them are one word to bash: such a command line is refused, not misread.
 */
function refuseJoinedWords(node: Node, source: string): void {
  let end: number | null = null;
  for (const child of node.children) {
    if (child === null) continue;
    if (end !== null && child.startIndex > end && /^(?:\\\n)+$/.test(source.slice(end, child.startIndex))) {
      throw new Error("shell.parse: a line continuation joins two words");
    }
    end = child.endIndex;
  }
}

function statements(node: Node): number {
  let n = 0;
  for (const child of node.namedChildren) {
    if (child !== null && child.type !== "comment" && !child.type.endsWith("_redirect")) n++;
  }
  return n;
}

function command(node: Node): ShellCommand {
  let name: string | null = null;
  let dynamic = false;
  const args: string[] = [];
  const nameNode = node.childForFieldName("name");
  if (node.type !== "command") {
    // `export`, `local`, `declare`, `readonly`, `typeset`, `unset`, `[`, `[[`: the first token names it.
    name = node.child(0)?.text ?? node.type;
  } else if (nameNode !== null) {
    const word = nameNode.namedChild(0) ?? nameNode;
    const value = staticWord(word);
    dynamic ||= value === null;
    name = value ?? word.text;
  }
  for (const child of node.namedChildren) {
    if (child === null || child.type === "command_name") continue;
    if (child.type === "variable_assignment" || child.type.endsWith("_redirect")) continue;
    const value = staticWord(child);
    dynamic ||= value === null;
    args.push(value ?? child.text);
  }
  return { name: name ?? "", args, dynamic };
}

/** A word's value after quote removal, or null when it is only known at run time. */
function staticWord(node: Node): string | null {
  switch (node.type) {
    case "word":
    case "number": {
      if (GLOB.test(node.text) || node.text.startsWith("~") || braceExpansion(node.text)) return null;
      return unescapeUnquoted(node.text);
    }
    case "variable_name":
      return node.text;
    case "raw_string":
      return node.text.slice(1, -1);
    case "string": {
      let out = "";
      for (const child of node.namedChildren) {
        if (child === null) continue;
        if (child.type !== "string_content") return null;
      }
      // The text between the quotes, with the escapes double quotes keep special.
      out = node.text.slice(1, -1).replace(/\\([$`"\\\n])/g, (_, c: string) => (c === "\n" ? "" : c));
      return out;
    }
    case "concatenation": {
      let out = "";
      // The unquoted text with each quoted part as one neutral character: `{"a",b}` still expands.
      let unquoted = "";
      for (const child of node.namedChildren) {
        if (child === null) continue;
        const part = staticWord(child);
        if (part === null) return null;
        out += part;
        unquoted += child.type === "word" ? child.text : "_";
      }
      // Unquoted parts joined with quoted ones can still form a glob (`"a"*`): the parts said so already.
      // A brace expression is split over several parts (`r`, `{`, `m,`, `}`): only the whole shows it.
      return braceExpansion(unquoted) ? null : out;
    }
    default:
      // `$'…'`, `$"…"`, expansions, substitutions, brace expressions: known only at run time.
      return null;
  }
}

/**
 * Whether unquoted text holds a brace expansion (`r{m,}` is `rm r`, `{a..c}` is `a b c`): an unescaped
 * `{`, then a `,` or `..`, then a `}`. Read widely (nesting and balance are not checked); `{}` alone,
 * as `find -exec` uses it, is no expansion.
 */
function braceExpansion(text: string): boolean {
  return /\{.*(?:,|\.\.).*\}/s.test(text.replace(/\\[\s\S]/g, "_"));
}

/** Backslash removal outside quotes: `\x` is x, a backslash-newline disappears. */
function unescapeUnquoted(text: string): string {
  return text.replace(/\\(\n|.)/gs, (_, c: string) => (c === "\n" ? "" : c));
}

const SCRIPT = mapType(CelScalar.STRING, CelScalar.DYN);

function toCel(script: ShellScript) {
  const { commands, ...flags } = script;
  return new Map<string, unknown>([
    [
      "commands",
      commands.map(
        (c) =>
          new Map<string, unknown>([
            ["name", c.name],
            ["args", c.args],
            ["dynamic", c.dynamic],
          ]),
      ),
    ],
    ...Object.entries(flags),
  ]);
}

export const shellFuncs = [
  celFunc("shell.parse", [CelScalar.STRING], SCRIPT, (s) => toCel(parseShell(s)) as never),
];
