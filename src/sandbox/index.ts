// The sandbox stage's public surface: egress rules and proxy, runners, the kill switch, alerts, guardedFetch.
export { type AddressClass, classifyAddress } from "./addresses.js";
export {
  type AlertDelivery,
  type AlertSenderOptions,
  type AlertWebhook,
  createAlertSender,
  type SandboxAlert,
} from "./alert.js";
export { type BubblewrapOptions, BubblewrapRunner } from "./bubblewrap.js";
export {
  type CommandSpec,
  SANDBOX_WORK,
  type SandboxRunner,
  type SandboxRunnerOptions,
  type WrappedCommand,
} from "./command.js";
export {
  type ContainmentSettings,
  compileContainment,
  type EgressDocument,
  egressSchema,
  type SandboxDocument,
  type SandboxRuntime,
  sandboxRuntime,
  sandboxSchema,
} from "./config.js";
export {
  type CommandCall,
  type ContainedResult,
  type ContainedRun,
  Containment,
  type SandboxedServer,
} from "./contain.js";
export {
  EgressProxy,
  type EgressProxyOptions,
  type HeaderInjection,
  type ProxyAddress,
} from "./egress-proxy.js";
export {
  type EgressCheck,
  EgressRules,
  type EgressRulesOptions,
  type LookupFn,
  type ResolvedAddress,
} from "./egress-rules.js";
export {
  EgressDeniedError,
  type EgressRefusal,
  type EgressViolation,
  SandboxError,
  type SandboxErrorCode,
} from "./errors.js";
export { type GuardedFetchOptions, guardedFetch } from "./guarded-fetch.js";
export { type GvisorOptions, GvisorRunner } from "./gvisor.js";
export { KillSwitch, type KillSwitchOptions, type ViolationPolicy } from "./kill-switch.js";
export {
  type InProcessContext,
  InProcessRunner,
  type InProcessSpec,
  type Killable,
  type RunHandle,
  type RunLimits,
  type Runner,
  type RunResult,
} from "./runner.js";
export { NAMESPACE_CLONE_FLAGS, REFUSED_SYSCALLS, seccompAvailable } from "./seccomp.js";
