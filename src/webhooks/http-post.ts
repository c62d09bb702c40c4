// A minimal HTTP(S) POST with a deadline, an abort signal and an optional private CA (node:http, no agent pooling surprises).
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface PostOptions {
  headers: Record<string, string>;
  ca?: string;
  /** The whole exchange, answer included: a receiver dripping its answer cannot hold the sender. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * The most of an answer read. Every receiver here answers with a status and a little JSON (a Slack
 * `ok`, HEC ack ids); a receiver sending more cannot make Warden hold it in memory.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export interface PostAnswer {
  status: number;
  /** The body text, cut at MAX_ANSWER_BYTES. */
  body: string;
  /** The answer's Retry-After value as sent (parseRetryAfter reads it), if it had one. */
  retryAfter: string | undefined;
}

/**
 * Resolves with the answer whatever its status; rejects on network errors and when the exchange
 * outlasts `timeoutMs`.
 */
export function httpPost(url: URL, body: string | Uint8Array, o: PostOptions): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: "POST",
        headers: { ...o.headers, "content-length": String(Buffer.byteLength(body)) },
        ...(o.ca ? { ca: o.ca } : {}),
        signal: o.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            retryAfter: res.headers["retry-after"],
          });
        };
        res.on("data", (c: Buffer) => {
          const room = MAX_ANSWER_BYTES - size;
          chunks.push(c.length > room ? c.subarray(0, room) : c);
          size += Math.min(c.length, room);
          if (size >= MAX_ANSWER_BYTES) {
            done();
            req.destroy();
          }
        });
        res.on("end", done);
        res.on("error", reject);
      },
    );
    const deadline = setTimeout(
      () => req.destroy(new Error(`no whole answer within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    req.on("error", (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.on("close", () => clearTimeout(deadline));
    req.end(body);
  });
}
