// agent-warden/mcp: the MCP gateway (`warden mcp`) as a library, and its pin administration.
export {
  type ConfigChange,
  clientPath,
  sameConfig,
  serverTable,
  unwrapConfig,
  type WrapOptions,
  wrapConfig,
} from "./client-config.js";
export {
  type ConnectedServer,
  compileMcp,
  type LaunchedServer,
  MCP_SERVER_NAME,
  type McpDocument,
  type McpServerSpec,
  type McpSettings,
  mcpSchema,
  type TransportFactory,
} from "./config.js";
export { type McpGatewayCode, McpGatewayError } from "./errors.js";
export { type GatewayOptions, McpGateway } from "./gateway.js";
export type { HttpListener } from "./http.js";
export {
  type ConnectionClaims,
  type IdentityDefaults,
  META,
  resolveIdentity,
  type SessionIdentity,
} from "./identity.js";
export { orderedDelivery } from "./ordered-delivery.js";
export { type DefinitionChange, definitionDiff, formatDiff } from "./pin-diff.js";
export {
  approvePin,
  approveTool,
  describeSubject,
  type PinItem,
  type PinState,
  type PinSubject,
  pinDigest,
  pinStates,
} from "./pins.js";
export type { GatewaySession } from "./session.js";
export { StdioDownstream } from "./stdio-transport.js";
