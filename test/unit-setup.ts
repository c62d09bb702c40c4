// Unit files share a process (isolate: false), so process listeners a file leaves behind act in later
// files. Libraries add some once per process (the OpenAI Agents SDK's trace provider: SIGTERM, which
// exits, and unhandledRejection, which silences vitest's own report of unhandled rejections). Each
// file's are removed at its end.
import { afterAll } from "vitest";

const EVENTS = ["unhandledRejection", "uncaughtException", "SIGINT", "SIGTERM", "beforeExit"];
const emitter: NodeJS.EventEmitter = process;
const before = new Map(EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));

afterAll(() => {
  for (const event of EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
});
