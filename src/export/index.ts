// The export stage's public surface: the exporter, the Sink interface, the built-in sinks, OCSF mapping.
export {
  type ExportDocument,
  exportSchema,
  SINK_SCHEMAS,
  type SinkDocument,
  type SinkType,
} from "./config.js";
export { checkpointEvent, recordEvent } from "./event.js";
export { DEFAULT_RETRY, Exporter, type ExporterOptions, type SinkSetup } from "./exporter.js";
export { type BodyFormat, formatEvent } from "./format.js";
export { OCSF_VERSION, toOcsf } from "./ocsf.js";
export type { RunnerStats } from "./runner.js";
export * from "./sinks/index.js";
export { type ExportEvent, type Sink, SinkError } from "./types.js";
