// The detect stage's public surface: the only module other stages import.

export { ibanValid, luhnValid } from "./checksums.js";
export {
  compileDetect,
  DETECTOR_NAMES,
  type DetectDocument,
  type DetectorName,
  type DetectSettings,
  detectSchema,
  type IntentsDocument,
  intentsSchema,
  type ToolLabels,
  type ToolsDocument,
  toolsSchema,
} from "./config.js";
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
} from "./detectors/canary/canaries.js";
export type { DetectAction } from "./detectors/config.js";
export { type DlpMatch, scanArgs } from "./detectors/dlp/index.js";
export type { FlowRuleSpec } from "./detectors/flow/config.js";
export { type EncodedRun, forEachEncodedRun } from "./encodings.js";
export { DETECTOR_FAILED, Detections, type Screening } from "./engine.js";
export { GROUP_KIND, SECRETS } from "./patterns.js";
export type { DetectInput, Finding, Severity } from "./types.js";
