// Which variables inside a tool function carry the tool's arguments (first parameter, then simple data flow).

import { type FunctionLike, type Node, patternNames, references, walk } from "./ast.js";

/** Names in `fn` whose value derives from its first parameter (declarations and assignments, to a fixpoint). */
export function taintedNames(fn: FunctionLike): Set<string> {
  const tainted = new Set(patternNames(fn.params[0] as Node | undefined));
  if (tainted.size === 0 || !fn.body) return tainted;
  const flows: { targets: string[]; value: Node }[] = [];
  walk(fn.body, (node) => {
    if (node.type === "VariableDeclarator" && node.init)
      flows.push({ targets: patternNames(node.id), value: node.init });
    else if (node.type === "AssignmentExpression" && node.left.type === "Identifier") {
      flows.push({ targets: [node.left.name], value: node.right });
    }
  });
  for (let changed = true, round = 0; changed && round < 5; round++) {
    changed = false;
    for (const f of flows) {
      if (f.targets.every((t) => tainted.has(t)) || !references(f.value, tainted)) continue;
      for (const t of f.targets) tainted.add(t);
      changed = true;
    }
  }
  return tainted;
}
