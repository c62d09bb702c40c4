// The detect stage's public surface: the only module other stages import.
export {
  CANARY_KINDS,
  type Canary,
  type CanaryKind,
  CanarySet,
  CUSTOM_CANARY_LENGTH,
  canaryOf,
  canaryRecord,
  customCanary,
  MINTABLE_KINDS,
  type MintableKind,
  mintCanary,
} from "./canary.js";
export { ibanValid, luhnValid } from "./checksums.js";
export {
  compileDetect,
  DETECTOR_NAMES,
  type DetectAction,
  type DetectDocument,
  type DetectorName,
  type DetectSettings,
  detectSchema,
  type FlowRuleSpec,
  type IntentsDocument,
  intentsSchema,
  type ToolLabels,
  type ToolsDocument,
  toolsSchema,
} from "./config.js";
export { type DlpMatch, scanArgs } from "./dlp.js";
export { DETECTOR_FAILED, Detections, type Screening } from "./engine.js";
export { GROUP_KIND, SECRETS } from "./patterns.js";
export type { DetectInput, Finding, Severity } from "./types.js";
