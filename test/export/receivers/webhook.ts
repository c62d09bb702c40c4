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
          const status = this.status(delivery);
          if (status < 300) this.deliveries.push(delivery);
          res.writeHead(status).end();
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
