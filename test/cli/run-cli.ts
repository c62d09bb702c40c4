// Calls the CLI as a function, capturing what it prints.
import { main } from "../../src/cli/main.js";

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
