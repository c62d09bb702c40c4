// Argument parsing for commands: node's parseArgs, strict, with usage errors as exit code 2.
import { type ParseArgsConfig, parseArgs } from "node:util";

import { sinceToIso } from "../time.js";
import type { CliIO } from "./io.js";

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

type HelpOption = { help: { type: "boolean"; short: "h" } };

export function parse<O extends Options>(
  argv: string[],
  options: O,
  allowPositionals = true,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: O & HelpOption; allowPositionals: boolean; strict: true }>
> {
  const withHelp = { help: { type: "boolean", short: "h" }, ...options } as O & HelpOption;
  try {
    return parseArgs({ args: argv, options: withHelp, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Runs a command body, turning usage errors and Warden errors into messages and exit codes. */
export async function runCommand(io: CliIO, help: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`warden: ${err.message}\n\n${help}`);
      return 2;
    }
    const code = (err as { code?: unknown }).code;
    io.stderr(
      `warden: ${typeof code === "string" ? `${code}: ` : ""}${(err as Error).message ?? String(err)}`,
    );
    return 1;
  }
}

export function requireValue(value: string | undefined, name: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing ${name}`);
  return value;
}

/** A --since value (7d, ISO-TIME) as an ISO time; a value that names no time is a usage error (exit 2). */
export function sinceOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return sinceToIso(value);
  } catch (err) {
    throw new UsageError(`--since: ${(err as Error).message}`);
  }
}

/** Prints a command's help; exit code 0. */
export function printHelp(io: CliIO, help: string): number {
  io.stdout(help);
  return 0;
}
