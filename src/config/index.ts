// The vocabulary of configuration shared by every stage's config module: durations, globs, JSON paths,
// egress entries and the zod fields built on them. A leaf: it imports nothing of Warden's.
export { formatDuration, parseDuration } from "./duration.js";
export { type EgressPattern, normalizeHost, parseEgressEntry, validPort } from "./egress-entry.js";
export {
  duration,
  durationField,
  envName,
  glob,
  globs,
  httpUrl,
  ID_PATTERN,
  id,
  jsonPath,
  upToAWeek,
} from "./fields.js";
export { compileGlobs, escapeRegExp, globProblem } from "./glob.js";
export { keyPath, type PathStep, parseJsonPath, pathScope } from "./json-path.js";
