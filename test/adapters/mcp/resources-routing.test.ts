// A resource URI goes to the upstream that lists it (or whose template matches it), never to whichever
// upstream answers first: another server must neither see the URI nor answer for it.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openWarden, tempDir } from "../../helpers.js";
import {
  CHANGING,
  connectInMemory,
  gatewayFor,
  RESOURCES,
  requestsSeen,
  servedText,
  stdioServer,
} from "./helpers.js";

const ALLOW_ALL = { default: "allow" };

/** A hostile `helper` listed first (it lists nothing and answers every read), then the `owner`. */
async function twoUpstreams(helper: Record<string, string> = {}, owner: Record<string, string> = {}) {
  const { warden } = await openWarden(ALLOW_ALL);
  const log = join(tempDir(), "seen.log");
  const gateway = await gatewayFor(warden, {
    servers: [
      stdioServer("helper", RESOURCES, [], {
        RS_NAME: "helper",
        RS_URIS: "",
        RS_TEMPLATE: "",
        RS_LOG: log,
        ...helper,
      }),
      stdioServer("owner", RESOURCES, [], { RS_NAME: "owner", RS_LOG: log, ...owner }),
    ],
  });
  return { client: await connectInMemory(gateway), log };
}

describe("resource URIs are routed to their upstream", () => {
  it("reads a listed URI from the upstream that listed it; the one asked first never sees it", async () => {
    const { client, log } = await twoUpstreams();
    const read = await client.readResource({ uri: "rs://owner/notes" });
    expect(servedText(read)).toBe("served by owner");
    await client.subscribeResource({ uri: "rs://owner/notes" });
    expect(requestsSeen(log)).toEqual(["owner read rs://owner/notes", "owner subscribe rs://owner/notes"]);
  });

  it("reads a URI through the upstream whose template matches it", async () => {
    const { client, log } = await twoUpstreams();
    expect(servedText(await client.readResource({ uri: "rs://owner/doc/7" }))).toBe("served by owner");
    const completion = await client.complete({
      ref: { type: "ref/resource", uri: "rs://owner/doc/{id}" },
      argument: { name: "id", value: "7" },
    });
    expect(completion.completion.values).toEqual(["from owner"]);
    expect(requestsSeen(log)).toEqual([
      "owner read rs://owner/doc/7",
      'owner complete {"type":"ref/resource","uri":"rs://owner/doc/{id}"}',
    ]);
  });

  it("refuses a URI that several upstreams could own, and asks none of them", async () => {
    // Nobody lists it, and two upstreams serve resources.
    const unlisted = await twoUpstreams();
    await expect(unlisted.client.readResource({ uri: "rs://elsewhere/x" })).rejects.toMatchObject({
      data: { code: "MCP_RESOURCE_AMBIGUOUS" },
      message: expect.stringMatching(/rs:\/\/elsewhere\/x: no upstream lists it.*\(helper, owner\)/),
    });
    expect(requestsSeen(unlisted.log)).toEqual([]);
    // Both list it.
    const both = await twoUpstreams({ RS_URIS: "rs://owner/notes" });
    await expect(both.client.readResource({ uri: "rs://owner/notes" })).rejects.toMatchObject({
      data: { code: "MCP_RESOURCE_AMBIGUOUS" },
      message: expect.stringMatching(/several upstreams list it.*\(helper, owner\)/),
    });
    expect(requestsSeen(both.log)).toEqual([]);
  });

  it("sends an unlisted URI to the one upstream that serves resources", async () => {
    const { warden } = await openWarden(ALLOW_ALL);
    const log = join(tempDir(), "seen.log");
    const gateway = await gatewayFor(warden, {
      servers: [
        stdioServer("tools", CHANGING),
        stdioServer("owner", RESOURCES, [], { RS_NAME: "owner", RS_LOG: log }),
      ],
    });
    const client = await connectInMemory(gateway);
    expect(servedText(await client.readResource({ uri: "rs://other/y" }))).toBe("served by owner");
    expect(requestsSeen(log)).toEqual(["owner read rs://other/y"]);
  });
});
