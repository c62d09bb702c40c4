// agent-warden/ai-sdk: Vercel AI SDK tools whose every execution goes through a Warden session.
import { type ToolSet, wrapLanguageModel } from "ai";
import type { Session } from "../../index.js";
import { RationaleLog } from "../rationale-log.js";
import { rationaleMiddleware } from "./rationale.js";
import { wardenTools } from "./tools.js";

export { RationaleLog } from "../rationale-log.js";
export { denialText, ToolRefusedError, wardenCallId } from "../shared.js";
export {
  type ToolApprovalAnswer,
  type ToolApprovalRequestPart,
  wardenApprovalResponse,
} from "./approvals.js";
export { rationaleMiddleware } from "./rationale.js";
export { type WardenToolsOptions, wardenTools } from "./tools.js";

type LanguageModelV3 = Parameters<typeof wrapLanguageModel>[0]["model"];

/**
 * Gates `tools` through `session` and wraps `model` so the text the model writes alongside a tool call
 * is recorded as that call's rationale. Spread the result into `generateText`/`streamText`. For a model
 * given by name (a gateway string), use `wardenTools` alone: calls are gated, without rationale.
 *
 * @example
 * import { generateText, stepCountIs, tool } from "ai";
 * import { wardenAiSdk } from "agent-warden/ai-sdk";
 * const gated = wardenAiSdk(session, { model, tools: { weather: tool({ … }), sendEmail: tool({ … }) } });
 * const result = await generateText({ ...gated, stopWhen: stepCountIs(5), prompt: "…" });
 */
export function wardenAiSdk<T extends ToolSet>(
  session: Session,
  options: { model: LanguageModelV3; tools: T },
): { model: LanguageModelV3; tools: T } {
  const rationales = new RationaleLog();
  return {
    model: wrapLanguageModel({ model: options.model, middleware: rationaleMiddleware(rationales) }),
    tools: wardenTools(session, options.tools, { rationales }),
  };
}
