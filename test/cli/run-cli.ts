// Calls the CLI as a function, capturing what it prints.
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { Warden } from "../../src/index.js";

export async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (t) => {
      stdout += t.endsWith("\n") ? t : `${t}\n`;
    },
    stderr: (t) => {
      stderr += t.endsWith("\n") ? t : `${t}\n`;
    },
    cwd,
    env,
  });
  return { code, stdout, stderr };
}

/** `warden init` in `cwd`, and a Warden opened on what it made (the caller closes it). */
export async function initAndOpen(cwd: string): Promise<Warden> {
  const init = await cli(["init"], cwd);
  if (init.code !== 0) throw new Error(`warden init failed: ${init.stderr}`);
  return Warden.open({ policy: join(cwd, ".warden/policy.yaml"), db: join(cwd, ".warden/ledger.db") });
}
