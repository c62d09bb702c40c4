// Two projects. `e2e` holds every suite that leaves the test process: it starts another process (the
// built CLI, an MCP server over stdio, a bubblewrap or gVisor sandbox), mounts filesystems, drives
// Chromium, or talks to an external server (PostgreSQL, NATS); and every suite that mocks a module,
// which needs a module graph of its own. `unit` is everything else: in-process, on temp files and
// 127.0.0.1 servers the test itself starts, sharing one module graph per worker. A file belongs to `e2e` when it lives in
// test/e2e/ or test/parity/, or is listed below because it is about one module but still needs one of
// those. (Tools a test runs once to make a fixture, openssl or git, do not count.)
export const E2E = [
  "test/e2e/**/*.test.ts",
  "test/parity/**/*.test.ts",
  // The built CLI as a child process.
  "test/adapters/mcp/client-config.test.ts",
  "test/cli/closed-pipe.test.ts",
  "test/ledger/durable-files.test.ts",
  // MCP servers (server-everything, server-filesystem, fixtures) as stdio child processes.
  "test/adapters/mcp/cli.test.ts",
  "test/adapters/mcp/everything.test.ts",
  "test/adapters/mcp/filesystem.test.ts",
  "test/adapters/mcp/http.test.ts",
  "test/adapters/mcp/oauth.test.ts",
  "test/adapters/mcp/pinning.test.ts",
  "test/adapters/mcp/relay.test.ts",
  "test/adapters/mcp/resources-approval.test.ts",
  "test/adapters/mcp/resources-routing.test.ts",
  "test/adapters/mcp/robustness.test.ts",
  "test/adapters/mcp/sessions.test.ts",
  "test/adapters/mcp/transports.test.ts",
  "test/scan/mcp.test.ts",
  // Sandboxes.
  "test/adapters/mcp/sandboxed.test.ts",
  "test/core/shared-file.test.ts",
  "test/sandbox/bubblewrap.test.ts",
  "test/sandbox/gvisor.test.ts",
  "test/sandbox/kill-switch.test.ts",
  "test/sandbox/seccomp.test.ts",
  // Mounts tmpfs filesystems.
  "test/ledger/disk-faults.test.ts",
  // PostgreSQL (alone or next to SQLite) and NATS.
  "test/approvals/held-args.test.ts",
  "test/export/cursor.test.ts",
  "test/export/sinks/nats.test.ts",
  "test/ledger/postgres*.test.ts",
  "test/ledger/record-shape.test.ts",
  "test/ledger/rewrite.test.ts",
  "test/ledger/stores.test.ts",
  "test/policy/limits.test.ts",
  "test/secrets/broker.test.ts",
  "test/secrets/postgres.test.ts",
  "test/ledger/progress.test.ts",
  // Mocks a module (vi.mock). Unit files share one module graph per worker: a module another file loaded
  // first keeps the real imports it was loaded with, and the mock does not take.
  "test/ledger/rotate-crash.test.ts",
];

/** Whether `file` (relative to the repository, `/`-separated) matches one of the E2E globs. */
export function isE2e(file: string): boolean {
  return E2E.some((glob) => globToRegExp(glob).test(file));
}

// Only what the list above uses: `**/` for any folders, `*` within one name.
function globToRegExp(glob: string): RegExp {
  const source = glob
    .split("**/")
    .map((part) =>
      part
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join("(?:.*/)?");
  return new RegExp(`^${source}$`);
}
