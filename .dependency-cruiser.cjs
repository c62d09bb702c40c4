// The dependency rules `npm run deps` checks; docs/architecture.md ("Dependency rules") explains them.
// A stage is a folder under src/. Its config.ts (the zod fragment and compiled type of its section of
// the policy) is a second, light entry: src/policy/ composes them, and the CLI may read them without
// loading the stage. Config modules form a layer of their own below the stages, so the check of
// folder cycles runs a second time without them (WARDEN_DEPS=folders, see package.json "deps").

/** Top-level modules every stage may import directly: small helpers that import no stage. */
const LEAVES = "^src/(decision|digest|errors|ids|json|people|safe-text|time|tool-poisoning|trace)\\.ts$";
/** Top-level modules that assemble the stages: the public API, Warden, Session. */
const ASSEMBLY = "^src/(index|warden|warden-postgres|session|guarded)\\.ts$";
/** A stage's configuration module (scan/config.ts reads .warden-scan.yaml, not the policy). */
const CONFIG_MODULE = "^src/(?!scan/).+/config\\.ts$";

const moduleRules = [
  {
    name: "no-config-cycle",
    comment: "Config modules (left out of the folder check) import each other in one direction only.",
    severity: "error",
    from: { path: CONFIG_MODULE },
    to: { circular: true },
  },
  {
    name: "enter-through-index",
    comment: "Another stage is entered through its index.ts or its config.ts; nothing reaches past them.",
    severity: "error",
    from: { path: "^src/([^/]+)/" },
    to: {
      path: "^src/[^/]+/",
      pathNot: ["^src/$1/", "^src/[^/]+/(index|config)\\.ts$", "^src/adapters/[^/]+/(index|config)\\.ts$"],
    },
  },
  {
    name: "assembly-through-index",
    comment: "The top-level assembly enters stages through index.ts (or config.ts) too.",
    severity: "error",
    from: { path: "^src/[^/]+\\.ts$" },
    to: { path: "^src/[^/]+/", pathNot: ["^src/[^/]+/(index|config)\\.ts$"] },
  },
  {
    name: "leaves-stay-leaves",
    comment: "The shared top-level helpers import only each other, so every stage can use them.",
    severity: "error",
    from: { path: LEAVES },
    to: { path: "^src/", pathNot: LEAVES },
  },
  {
    name: "config-vocabulary-is-a-leaf",
    comment: "src/config/ is the vocabulary every config module is written in: it imports no stage.",
    severity: "error",
    from: { path: "^src/config/" },
    to: { path: "^src/", pathNot: "^src/config/" },
  },
  {
    name: "config-modules-stay-light",
    comment:
      "Reading a policy loads no stage's runtime: a config module imports only zod, src/config/ and other config modules (type-only imports aside).",
    severity: "error",
    from: { path: CONFIG_MODULE },
    to: { pathNot: ["^src/config/", CONFIG_MODULE, "^src/adapters/mcp/config\\.ts$", "node_modules/zod/"] },
  },
  {
    name: "only-entry-points-assemble",
    comment: "Stages never import the assembly; only the entry points around it (adapters, CLI, HTTP) do.",
    severity: "error",
    from: { path: "^src/", pathNot: ["^src/(adapters|cli|server)/", ASSEMBLY] },
    to: { path: ASSEMBLY },
  },
];

const folderRules = [
  {
    name: "no-folder-cycle",
    comment: "Stages (and the folders inside them) depend on each other in one direction only.",
    severity: "error",
    scope: "folder",
    from: { path: "^src/" },
    to: { circular: true },
  },
];

const folders = process.env.WARDEN_DEPS === "folders";

module.exports = {
  forbidden: folders ? folderRules : moduleRules,
  options: {
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: {
      path: folders ? ["\\.d\\.ts$", CONFIG_MODULE, "^src/adapters/mcp/config\\.ts$"] : "\\.d\\.ts$",
    },
    enhancedResolveOptions: {
      extensions: [".ts", ".js"],
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
