// An OpenAI Agents model wrapper that notes the text of each response for the tool calls it contains.
import type { AgentOutputItem, Model } from "@openai/agents";
import type { RationaleLog } from "../rationale-log.js";

/** A response's assistant text becomes the rationale of every function call in it. */
export function noteResponse(log: RationaleLog, output: readonly AgentOutputItem[]): void {
  let text = "";
  const ids: string[] = [];
  for (const item of output) {
    if (item.type === "message" && item.role === "assistant") {
      for (const part of item.content) if (part.type === "output_text") text += part.text;
    }
    if (item.type === "function_call") ids.push(item.callId);
  }
  log.note(ids, text);
}

/**
 * The same model, but each response (streamed or not) is noted in `log` before the runner sees it, so
 * the tool calls it contains find their rationale. A Proxy keeps the model's class and other methods.
 * `wardenAgent` sets it up; use it directly with `wardenAgentTools`.
 *
 * @example
 * const rationales = new RationaleLog();
 * const agent = new Agent({ name: "a", model: rationaleModel(model, rationales), tools: wardenAgentTools(session, tools, { rationales }) });
 */
export function rationaleModel(model: Model, log: RationaleLog): Model {
  const getResponse: Model["getResponse"] = async (request) => {
    const response = await model.getResponse(request);
    noteResponse(log, response.output);
    return response;
  };
  async function* getStreamedResponse(request: Parameters<Model["getStreamedResponse"]>[0]) {
    for await (const event of model.getStreamedResponse(request)) {
      if (event.type === "response_done") noteResponse(log, event.response.output as AgentOutputItem[]);
      yield event;
    }
  }
  return new Proxy(model, {
    get(target, prop) {
      if (prop === "getResponse") return getResponse;
      if (prop === "getStreamedResponse") return getStreamedResponse;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
