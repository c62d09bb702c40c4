// JSON lines file sink: one event per line, fsynced before acknowledging, rotated by size and by age.
import { mkdirSync } from "node:fs";
import { type FileHandle, open, rename, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { type BodyFormat, formatEvent } from "../../format.js";
import { type ExportEvent, type Sink, SinkError, type SinkFactory } from "../../types.js";
import type { JsonlDocument } from "./config.js";

export interface JsonlSinkOptions {
  name: string;
  path: string;
  format?: BodyFormat;
  /** Rotate before the file would grow past this (default 100 MiB). */
  maxBytes?: number;
  /** Rotate a file once it is this old (default: never). */
  maxAgeMs?: number;
  clock?: () => Date;
}

/**
 * Appends to `path`; a full or old file is renamed to `path.<UTC timestamp>` and a new one started, so
 * a log shipper tailing `path` sees every line once.
 */
export class JsonlSink implements Sink {
  readonly name: string;
  readonly #options: JsonlSinkOptions;
  readonly #clock: () => Date;
  #file: FileHandle | null = null;
  #size = 0;
  #openedAt = 0;

  constructor(options: JsonlSinkOptions) {
    this.name = options.name;
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
  }

  async send(events: ExportEvent[]): Promise<void> {
    const text = events.map((e) => `${JSON.stringify(formatEvent(e, this.#options.format))}\n`).join("");
    const bytes = Buffer.byteLength(text);
    try {
      let file = await this.#current();
      if (this.#size > 0 && (this.#size + bytes > this.#maxBytes() || this.#tooOld())) {
        await this.#rotate();
        file = await this.#current();
      }
      await file.write(text);
      // Acknowledged means on disk: the cursor moves past these events right after.
      await file.sync();
      this.#size += bytes;
    } catch (err) {
      // A half-written batch is re-sent whole; drop the handle so the next try re-checks the file.
      await this.close();
      throw new SinkError(this.name, `writing ${this.#options.path}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    const file = this.#file;
    this.#file = null;
    await file?.close().catch(() => undefined);
  }

  #maxBytes(): number {
    return this.#options.maxBytes ?? 100 * 1024 * 1024;
  }

  #tooOld(): boolean {
    const maxAge = this.#options.maxAgeMs;
    return maxAge !== undefined && this.#clock().getTime() - this.#openedAt >= maxAge;
  }

  async #current(): Promise<FileHandle> {
    if (this.#file) return this.#file;
    mkdirSync(dirname(this.#options.path), { recursive: true });
    const file = await open(this.#options.path, "a", 0o600);
    const info = await stat(this.#options.path);
    this.#file = file;
    this.#size = info.size;
    // A file left by an earlier run is as old as its first write, approximated by its birth time.
    this.#openedAt = info.size > 0 ? info.birthtimeMs || info.mtimeMs : this.#clock().getTime();
    return file;
  }

  async #rotate(): Promise<void> {
    await this.close();
    const stamp = this.#clock().toISOString().replace(/[:.]/g, "-");
    let target = `${this.#options.path}.${stamp}`;
    for (let n = 1; await exists(target); n++) target = `${this.#options.path}.${stamp}-${n}`;
    await rename(this.#options.path, target);
  }
}

export const createJsonlSink: SinkFactory<JsonlDocument> = (doc) =>
  new JsonlSink({
    name: doc.name,
    path: doc.path,
    format: doc.format,
    maxBytes: doc.maxBytes,
    maxAgeMs: doc.maxAge,
  });

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
