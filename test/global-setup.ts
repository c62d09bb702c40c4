// Which real components the suites can reach. Suites skip themselves when one is missing; this says so
// in the run's summary, and under CI (CI=true) a missing component fails the run instead.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";

interface Component {
  name: string;
  /** What is skipped without it. */
  skips: string;
  present: () => Promise<boolean>;
}

const command =
  (cmd: string, ...args: string[]) =>
  async () =>
    spawnSync(cmd, args, { stdio: "ignore", timeout: 10_000 }).status === 0;

const port = (p: number) => () =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: p, timeout: 2_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });

const COMPONENTS: Component[] = [
  {
    name: "PostgreSQL (127.0.0.1:5432)",
    skips: "the PostgreSQL store, instance and load tests",
    present: port(5432),
  },
  { name: "NATS (127.0.0.1:4222)", skips: "the NATS export sink test", present: port(4222) },
  {
    name: "bubblewrap (bwrap)",
    skips: "the sandbox, kill-switch and sandboxed MCP tests",
    present: command("bwrap", "--version"),
  },
  {
    name: "libseccomp for Python (python3-seccomp)",
    skips: "the sandbox tests (commands fail closed without the seccomp filter)",
    present: command("/usr/bin/python3", "-c", "import seccomp"),
  },
  { name: "gVisor (runsc)", skips: "the gVisor runtime tests", present: command("runsc", "--version") },
  {
    name: "Chromium (/usr/bin/chromium)",
    skips: "the dashboard browser tests",
    present: async () => existsSync("/usr/bin/chromium"),
  },
];

let missing: Component[] = [];

export async function setup(): Promise<void> {
  const found = await Promise.all(COMPONENTS.map((c) => c.present()));
  missing = COMPONENTS.filter((_, i) => !found[i]);
  if (missing.length > 0 && process.env.CI === "true") {
    throw new Error(
      `CI must run every suite, but these components are missing: ${missing.map((c) => c.name).join(", ")}`,
    );
  }
}

export function teardown(): void {
  if (missing.length === 0) {
    console.log("\nReal components: all present, no suite skipped for a missing one.");
    return;
  }
  console.log("\nSkipped for a missing component:");
  for (const c of missing) console.log(`  - ${c.name}: ${c.skips}`);
}
