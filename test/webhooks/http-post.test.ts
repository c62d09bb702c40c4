// httpPost bounds what a receiver can make Warden hold: the answer's size and the exchange's length.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { httpPost, MAX_ANSWER_BYTES } from "../../src/webhooks/http-post.js";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A receiver on 127.0.0.1 that answers 200 and then writes with `write` until the client leaves. */
async function receiver(write: (res: import("node:http").ServerResponse) => void): Promise<URL> {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      write(res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
}

describe("httpPost", () => {
  it("reads at most MAX_ANSWER_BYTES of an answer that does not end", async () => {
    const chunk = Buffer.alloc(64 * 1024, "x");
    let sent = 0;
    const url = await receiver((res) => {
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    const answer = await httpPost(url, "{}", { headers: {}, timeoutMs: 10_000 });
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(MAX_ANSWER_BYTES);
    expect(sent).toBeLessThan(64 * MAX_ANSWER_BYTES);
  });

  it("gives up on an answer dripped slower than the deadline, though each byte comes in time", async () => {
    const url = await receiver((res) => {
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(" ")), 20);
    });
    const started = Date.now();
    await expect(httpPost(url, "{}", { headers: {}, timeoutMs: 300 })).rejects.toThrow(/no whole answer/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
