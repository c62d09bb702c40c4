// NATS JetStream sink: one subject per event kind (`<prefix>.<kind>`), each publish acknowledged by the stream.
import type { JetStreamClient, NatsConnection } from "nats";
import { WardenError } from "../../../errors.js";
import { type BodyFormat, formatEvent } from "../../format.js";
import { type ExportEvent, type Sink, SinkError, type SinkFactory } from "../../types.js";
import { secret } from "../env.js";
import type { NatsDocument } from "./config.js";

export interface NatsSinkOptions {
  name: string;
  /** e.g. "nats://127.0.0.1:4222"; several for a cluster. */
  servers: string[];
  /** Subjects are `<prefix>.<kind>`, e.g. warden.call.intent (default "warden"). */
  subjectPrefix?: string;
  /** Create this stream over `<prefix>.>` when it does not exist (default: the stream must exist). */
  stream?: string;
  format?: BodyFormat;
  token?: string;
  timeoutMs?: number;
}

/** A subject to publish on: non-empty tokens between dots, none holding whitespace, a control character or a wildcard. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const SUBJECT = /^[^\s\x00-\x1f\x7f.*>]+(\.[^\s\x00-\x1f\x7f.*>]+)*$/;

/**
 * Publishes with `Nats-Msg-Id` = the stable event id, so JetStream itself drops a re-sent event inside
 * the stream's duplicate window; a send resolves when every PubAck is in.
 */
export class NatsSink implements Sink {
  readonly name: string;
  readonly #o: NatsSinkOptions;
  #conn: Promise<{ nc: NatsConnection; js: JetStreamClient }> | null = null;

  constructor(options: NatsSinkOptions) {
    this.name = options.name;
    this.#o = options;
    // The client writes the subject into the protocol line as it is (`PUB <subject> <size>`): a space or
    // line break there would be read as another field or command. The policy's schema checks this too.
    if (options.subjectPrefix !== undefined && !SUBJECT.test(options.subjectPrefix)) {
      throw new WardenError(
        "EXPORT_CONFIG_INVALID",
        `export sink ${options.name}: subjectPrefix must be dot-separated tokens without spaces, control characters, * or >`,
      );
    }
  }

  subjectOf(e: ExportEvent): string {
    // Record kinds are dot-separated tokens already; anything else a subject cannot hold becomes "_".
    return `${this.#o.subjectPrefix ?? "warden"}.${e.type.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  }

  async send(events: ExportEvent[]): Promise<void> {
    try {
      const { js } = await this.#connection();
      const timeout = this.#o.timeoutMs ?? 10_000;
      await Promise.all(
        events.map((e) =>
          js.publish(this.subjectOf(e), JSON.stringify(formatEvent(e, this.#o.format)), {
            msgID: e.id,
            timeout,
          }),
        ),
      );
    } catch (err) {
      await this.close();
      // Larger than the server's max_payload: it fails the same way every time.
      const permanent = (err as { code?: unknown }).code === "MAX_PAYLOAD_EXCEEDED";
      throw new SinkError(this.name, `publish: ${(err as Error).message}`, { permanent });
    }
  }

  async close(): Promise<void> {
    const conn = this.#conn;
    this.#conn = null;
    const c = await conn?.catch(() => null);
    await c?.nc.close().catch(() => undefined);
  }

  #connection(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    this.#conn ??= this.#connect();
    this.#conn.catch(() => {
      this.#conn = null;
    });
    return this.#conn;
  }

  async #connect(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    // Loaded on first use: library users who export nowhere (or elsewhere) never load the client.
    const { connect } = await import("nats");
    const nc = await connect({
      servers: this.#o.servers,
      ...(this.#o.token ? { token: this.#o.token } : {}),
      timeout: this.#o.timeoutMs ?? 10_000,
      // The exporter retries and resumes from its cursor; the client must not buffer behind its back.
      reconnect: false,
    });
    try {
      if (this.#o.stream) {
        const jsm = await nc.jetstreamManager();
        const exists = await jsm.streams.info(this.#o.stream).then(
          () => true,
          () => false,
        );
        if (!exists) {
          await jsm.streams.add({
            name: this.#o.stream,
            subjects: [`${this.#o.subjectPrefix ?? "warden"}.>`],
          });
        }
      }
      return { nc, js: nc.jetstream() };
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }
}

export const createNatsSink: SinkFactory<NatsDocument> = (doc, env) =>
  new NatsSink({ ...doc, token: doc.tokenEnv ? secret(env, doc.tokenEnv, doc.name) : undefined });
