// A Standard Webhooks receiver for tests: verifies every request's signature with the standardwebhooks package.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Delivery {
  id: string;
  body: { type: string; timestamp: string; data: { id: string; type: string; [k: string]: unknown } };
}

export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  readonly rejected: string[] = [];
  /** Status to answer instead of 204 (e.g. 500 for an outage, 422 to refuse). */
  status: (d: Delivery) => number = () => 204;
  /** A Retry-After value to send with an answer that is not 2xx (e.g. "1", or an HTTP-date). */
  retryAfter: (d: Delivery) => string | undefined = () => undefined;
  /** How long to hold an answer back (0: answer at once). */
  answerAfterMs: (d: Delivery) => number = () => 0;
  /** Every signed request, when it arrived (performance.now()), whatever the answer. */
  readonly requests: { id: string; at: number }[] = [];
  port = 0;
  readonly #server: Server;

  constructor(secret: string) {
    const verifier = new Webhook(secret);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const payload = Buffer.concat(chunks).toString("utf8");
        try {
          const body = verifier.verify(payload, req.headers as Record<string, string>) as Delivery["body"];
          const delivery = { id: String(req.headers["webhook-id"]), body };
          this.requests.push({ id: delivery.id, at: performance.now() });
          const status = this.status(delivery);
          if (status < 300) this.deliveries.push(delivery);
          const retryAfter = status < 300 ? undefined : this.retryAfter(delivery);
          const answer = () =>
            res.writeHead(status, retryAfter === undefined ? {} : { "retry-after": retryAfter }).end();
          const after = this.answerAfterMs(delivery);
          if (after > 0) setTimeout(answer, after);
          else answer();
        } catch (err) {
          this.rejected.push((err as Error).message);
          res.writeHead(401).end();
        }
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/warden`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
