// AI SDK language-model middleware that notes the model's text for each tool call it emits.
import type { LanguageModelMiddleware } from "ai";
import type { RationaleLog } from "../rationale-log.js";

type GenerateResult = Awaited<ReturnType<NonNullable<LanguageModelMiddleware["wrapGenerate"]>>>;
type StreamResult = Awaited<ReturnType<NonNullable<LanguageModelMiddleware["wrapStream"]>>>;
type StreamPart = StreamResult["stream"] extends ReadableStream<infer P> ? P : never;

/**
 * Middleware for `wrapLanguageModel`: a response's text becomes the rationale of its tool calls. `wardenAiSdk`
 * sets it up; use it directly to combine it with other middleware.
 *
 * @example
 * const rationales = new RationaleLog();
 * const wrapped = wrapLanguageModel({ model, middleware: [rationaleMiddleware(rationales), other] });
 * const tools = wardenTools(session, myTools, { rationales });
 */
export function rationaleMiddleware(log: RationaleLog): LanguageModelMiddleware {
  return {
    specificationVersion: "v3",
    wrapGenerate: async ({ doGenerate }) => {
      const result: GenerateResult = await doGenerate();
      let text = "";
      const ids: string[] = [];
      for (const part of result.content) {
        if (part.type === "text") text += part.text;
        if (part.type === "tool-call") ids.push(part.toolCallId);
      }
      log.note(ids, text);
      return result;
    },
    wrapStream: async ({ doStream }) => {
      const result: StreamResult = await doStream();
      // Text streams before the tool calls it explains, and each call is noted as it passes, so the
      // rationale is in place before the SDK can execute the tool.
      let text = "";
      const stream = result.stream.pipeThrough(
        new TransformStream<StreamPart, StreamPart>({
          transform(part, controller) {
            if (part.type === "text-delta") text += part.delta;
            if (part.type === "tool-call") log.note([part.toolCallId], text);
            controller.enqueue(part);
          },
        }),
      );
      return { ...result, stream };
    },
  };
}
