// A minimal HTTP(S) POST with a timeout, an abort signal and an optional private CA (node:http, no agent pooling surprises).
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface PostOptions {
  headers: Record<string, string>;
  ca?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Resolves with the status and body text whatever the status; rejects on network errors and timeouts. */
export function httpPost(url: URL, body: string, o: PostOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: "POST",
        headers: { ...o.headers, "content-length": String(Buffer.byteLength(body)) },
        ...(o.ca ? { ca: o.ca } : {}),
        signal: o.signal,
        timeout: o.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}
