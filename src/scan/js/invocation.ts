// Sees through the ways of calling a function without naming it as the callee: `.call`, `.apply`, `.bind`, `Reflect`.

import { memberName, type Node, unwrap } from "./ast.js";
import { declaredValue, type FileBindings, isUnbound } from "./bindings.js";

/** What a call runs, and with which arguments, once `.call`, `.apply`, `.bind` and `Reflect` are seen through. */
export interface Invocation {
  callee: Node;
  args: Node[];
  isNew: boolean;
}

/** Stands for arguments known only at run time (`f.apply(t, list)`): `dynamic` counts it as non-literal. */
const UNKNOWN_ARGS = { type: "SpreadElement" } as Node;

/** The elements of an argument list given as an array (`[a, b]`), or one unknown argument. */
function listArgs(list: Node | undefined): Node[] {
  const l = list ? unwrap(list) : undefined;
  if (!l) return [];
  if (l.type !== "ArrayExpression") return [UNKNOWN_ARGS];
  return l.elements.map((e) => (e === null ? UNKNOWN_ARGS : (e as Node)));
}

/**
 * `f.call(t, a)`, `f.apply(t, [a])`, `f.bind(t, a)(b)` (also through a name bound to `f.bind(t, a)`),
 * `Reflect.apply(f, t, [a])` and
 * `Reflect.construct(F, [a])` as the plain call or `new` they make; undefined for any other call.
 */
export function indirectInvocation(call: Node, b: FileBindings): Invocation | undefined {
  if (call.type !== "CallExpression") return undefined;
  const args = call.arguments as Node[];
  let callee = unwrap(call.callee);
  // `const run = f.bind(t, a); run(b)`: the bound call, as if written in place.
  if (callee.type === "Identifier") {
    const init = declaredValue(callee, b);
    if (init === undefined || unwrap(init).type !== "CallExpression") return undefined;
    callee = unwrap(init);
  }
  if (callee.type === "CallExpression") {
    const binder = unwrap(callee.callee);
    if (binder.type !== "MemberExpression" || memberName(binder) !== "bind") return undefined;
    return { callee: binder.object, args: [...(callee.arguments as Node[]).slice(1), ...args], isNew: false };
  }
  if (callee.type !== "MemberExpression") return undefined;
  const method = memberName(callee);
  const target = unwrap(callee.object);
  if (target.type === "Identifier" && target.name === "Reflect" && isUnbound(target, b)) {
    if (method === "apply" && args[0]) return { callee: args[0], args: listArgs(args[2]), isNew: false };
    if (method === "construct" && args[0]) return { callee: args[0], args: listArgs(args[1]), isNew: true };
    return undefined;
  }
  if (method === "call") return { callee: callee.object, args: args.slice(1), isNew: false };
  if (method === "apply") return { callee: callee.object, args: listArgs(args[1]), isNew: false };
  return undefined;
}
