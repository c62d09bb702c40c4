// Typed errors of `warden scan`: the CLI maps each to exit code 2; tests branch on `code`.

export type ScanErrorCode = "SCAN_USAGE" | "SCAN_CONFIG" | "SCAN_GIT" | "SCAN_IO";

/** A scan that cannot run at all (bad path, bad config file, bad git ref). */
export class ScanError extends Error {
  readonly code: ScanErrorCode;
  /** `file:line:column` when the error is about a place in a file. */
  readonly where: string | undefined;

  constructor(code: ScanErrorCode, message: string, where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = "ScanError";
    this.code = code;
    this.where = where;
  }
}
