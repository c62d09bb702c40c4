// Python name scopes for the code rules: the module, each function and lambda, and class bodies (which the
// methods inside them do not see).

import type { PyNode } from "./parser.js";

/** What a name holds: the dotted name it stands for (`"os.system"`), or null for a value the rules cannot follow. */
export type PyBinding = string | null;

const SCOPES = new Set(["function_definition", "lambda", "class_definition"]);

export class PyScopes {
  private readonly byScope = new Map<number, Map<string, PyBinding>>();
  /** Each node's scope once found: every identifier the rules resolve asks again. */
  private readonly around = new Map<number, PyNode>();

  constructor(private readonly root: PyNode) {}

  /** The scope a statement at `node` binds in: its nearest enclosing function, lambda, class, or the module. */
  scopeAround(node: PyNode): PyNode {
    const known = this.around.get(node.id);
    if (known) return known;
    let p = node.parent;
    while (p && !SCOPES.has(p.type)) p = p.parent;
    const scope = p ?? this.root;
    this.around.set(node.id, scope);
    return scope;
  }

  /**
   * Binds `name` in `scope`. A null binding (a parameter, a `def`, a value the rules cannot follow) only
   * hides outer names: it never replaces a binding the same scope already has, since the order of
   * statements is not tracked and a known alias must not be lost to a later, unrelated assignment.
   */
  bind(scope: PyNode, name: string, value: PyBinding): void {
    let names = this.byScope.get(scope.id);
    if (!names) {
      names = new Map();
      this.byScope.set(scope.id, names);
    }
    if (value !== null || !names.has(name)) names.set(name, value);
  }

  /** The binding of `name` where `at` stands, or undefined when no scope around it binds the name. */
  lookup(at: PyNode, name: string): PyBinding | undefined {
    let scope = this.scopeAround(at);
    for (let innermost = true; ; innermost = false) {
      // A class body's names are visible in the body itself, not in the functions defined in it.
      if (innermost || scope.type !== "class_definition") {
        const names = this.byScope.get(scope.id);
        if (names?.has(name)) return names.get(name);
      }
      if (scope.id === this.root.id) return undefined;
      scope = this.scopeAround(scope);
    }
  }
}
