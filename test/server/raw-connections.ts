// Raw connections to a listener, for the limits tests: a request held in progress, and whether a new
// connection is served at all.
import { connect, type Socket } from "node:net";
import { onCleanup } from "../helpers.js";

/**
 * A POST whose body never finishes arriving, once the server has begun it (its `100 Continue` is
 * written as the request is handed to the app): a connection with a request in progress.
 */
export async function busyRequest(
  port: number,
  path: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  onCleanup(() => void socket.destroy());
  await new Promise((r) => socket.once("connect", r));
  const continued = new Promise<string>((resolve, reject) => {
    socket.once("data", (d: Buffer) => resolve(d.toString()));
    socket.once("close", () => reject(new Error(`the connection for ${path} was closed`)));
  });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n${extra.join("")}` +
      "Content-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n{",
  );
  const first = await continued;
  if (!first.startsWith("HTTP/1.1 100")) throw new Error(`expected 100 Continue, got ${first}`);
  return socket;
}

/**
 * Opens one more connection and asks for /healthz on it: "closed" when the server closes it without an
 * answer, else the answer's status line.
 */
export function closedOrAnswered(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    onCleanup(() => void socket.destroy());
    let answer = "";
    socket.on("error", () => undefined);
    socket.on("data", (d: Buffer) => {
      answer += d.toString();
      const line = answer.indexOf("\r\n");
      if (line !== -1) {
        resolve(answer.slice(0, line));
        socket.destroy();
      }
    });
    socket.once("close", () => resolve("closed"));
    socket.once("connect", () =>
      socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    );
  });
}
