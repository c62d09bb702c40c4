// Standard output as a writable stream, for commands whose output is a file's content (`--jsonl -`).
import { Writable } from "node:stream";
import type { CliIO } from "./io.js";

/**
 * The reader of standard output went away (`warden export --jsonl - | head`): not a failure of the
 * command, which ends quietly, as the line writers do (io.ts).
 */
export const isClosedPipe = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === "EPIPE";

/** `-` as an output FILE: standard output. */
export const isStdout = (file: string | undefined): boolean => file === "-";

/**
 * The process's stdout when the IO has it; else a stream over `io.stdout`, which takes whole lines
 * (every writer here writes complete lines, so nothing is split or added).
 */
export function stdoutStream(io: CliIO): NodeJS.WritableStream {
  if (io.stdoutStream) return io.stdoutStream;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const text = chunk.toString();
      if (text !== "") io.stdout(text);
      done();
    },
  });
}
