// Warden's CEL function library for `when:` conditions: argument parsers a policy can trust (docs/policy.md).
import type { CelFunc } from "@bufbuild/cel";
import { emailFuncs } from "./emails.js";
import { ipFuncs } from "./ip.js";
import { pathFuncs } from "./path.js";
import { shellFuncs } from "./shell.js";
import { urlFuncs } from "./url.js";

export { REGISTRY as CONDITION_TYPES } from "./types.js";

export const CONDITION_FUNCS: readonly CelFunc[] = [
  ...emailFuncs,
  ...urlFuncs,
  ...ipFuncs,
  ...pathFuncs,
  ...shellFuncs,
];
