// server-filesystem behind the gateway: a job description narrows the tools, a CEL rule guards writes.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openWarden, tempDir } from "../../helpers.js";
import { codeOf, connectInMemory, FILESYSTEM, gatewayFor, records, stdioServer, textOf } from "./helpers.js";

describe("server-filesystem behind warden mcp", () => {
  it("hides tools outside the job, allows reads, denies writes outside notes/, and records every call", async () => {
    const data = tempDir();
    writeFileSync(join(data, "hello.txt"), "hello from disk");
    const { warden } = await openWarden({
      default: "allow",
      agents: {
        "notes-bot": {
          team: "docs",
          developer: "dana@example.com",
          tools: ["read_text_file", "list_directory", "list_allowed_directories", "write_file"],
        },
      },
      rules: [
        {
          id: "writes-only-notes",
          tool: "write_file",
          decision: "deny",
          when: '!args.path.contains("/notes-")',
          reason: "writes only to notes-* files",
        },
      ],
      redact: { write_file: ["$.content"] },
    });
    const gateway = await gatewayFor(warden, {
      servers: [stdioServer("files", FILESYSTEM, [data])],
      identity: { agent: "notes-bot", onBehalfOf: "dana@example.com", intent: "tidy the notes" },
    });
    const client = await connectInMemory(gateway);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(["list_allowed_directories", "list_directory", "read_text_file", "write_file"]);
    expect(
      textOf(await client.callTool({ name: "read_text_file", arguments: { path: join(data, "hello.txt") } })),
    ).toContain("hello from disk");
    expect(textOf(await client.callTool({ name: "list_directory", arguments: { path: data } }))).toContain(
      "hello.txt",
    );
    const denied = await client.callTool({
      name: "write_file",
      arguments: { path: join(data, "evil.sh"), content: "rm -rf /" },
    });
    expect(codeOf(denied)).toBe("TOOL_DENIED");
    const allowed = await client.callTool({
      name: "write_file",
      arguments: { path: join(data, "notes-1.md"), content: "secret plan" },
    });
    expect(allowed.isError).toBeFalsy();
    expect(readFileSync(join(data, "notes-1.md"), "utf8")).toBe("secret plan");
    expect(
      codeOf(await client.callTool({ name: "move_file", arguments: { source: "a", destination: "b" } })),
    ).toBe("TOOL_DENIED");
    const intents = await records(warden, "call.intent");
    expect(intents.map((r) => [r.data.tool, (r.data.decision as { enforced: string }).enforced])).toEqual([
      ["read_text_file", "allow"],
      ["list_directory", "allow"],
      ["write_file", "deny"],
      ["write_file", "allow"],
      ["move_file", "deny"],
    ]);
    // The written content is in the ledger only as a digest.
    expect(JSON.stringify(intents[3]?.data.args)).not.toContain("secret plan");
  });
});
