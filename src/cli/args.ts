// Argument parsing for commands: node's parseArgs, strict, with usage errors as exit code 2.
import { type ParseArgsConfig, parseArgs } from "node:util";
import { safeText } from "../safe-text.js";
import { sinceToIso } from "../time.js";
import type { CliIO } from "./io.js";
import { didYouMean } from "./suggest.js";

/** The command was called wrongly, or what it names is not there: exit code 2. */
export class UsageError extends Error {
  /** Print the command's help after the message (a bad flag), or not (a missing file). */
  readonly showHelp: boolean;

  constructor(message: string, options: { showHelp?: boolean } = {}) {
    super(message);
    this.showHelp = options.showHelp ?? true;
  }
}

/** A file or ledger the command needs is missing: exit 2, the path and what to do, without the help text. */
export const missing = (message: string): UsageError => new UsageError(message, { showHelp: false });

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
    throw new UsageError(withSuggestion(err as Error & { code?: string }, Object.keys(withHelp)));
  }
}

/** node's message for an unknown option, plus the known option it was probably meant to be. */
export function withSuggestion(err: Error & { code?: string }, known: string[]): string {
  if (err.code !== "ERR_PARSE_ARGS_UNKNOWN_OPTION") return err.message;
  const given = /'(--?[^'=]+)/.exec(err.message)?.[1];
  if (given === undefined) return err.message;
  const first = err.message.split(". ")[0] ?? err.message;
  return `${first}${didYouMean(
    given,
    known.map((name) => `--${name}`),
  )}`;
}

/** A sub-command word that is not one of `choices`: a usage error that names the closest one. */
export function unknownChoice(what: string, given: string, choices: readonly string[]): UsageError {
  return new UsageError(`unknown ${what} "${given}"${didYouMean(given, choices)}`);
}

/** Runs a command body, turning usage errors and Warden errors into messages and exit codes. */
export async function runCommand(io: CliIO, help: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    // A message may quote what a ledger, an upstream or an argument holds: printed with controls escaped.
    if (err instanceof UsageError) {
      const message = `warden: ${safeText(err.message)}`;
      io.stderr(err.showHelp ? `${message}\n\n${help}` : message);
      return 2;
    }
    const code = (err as { code?: unknown }).code;
    io.stderr(
      safeText(
        `warden: ${typeof code === "string" ? `${code}: ` : ""}${(err as Error).message ?? String(err)}`,
      ),
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
