// Reads a pnpm, Yarn or Bun lockfile by its name; a file that does not parse as one is a located error.

import { posix } from "node:path";
import { readBunLock } from "./bun.js";
import { type LockRead, lockError } from "./model.js";
import { readPnpmLock } from "./pnpm.js";
import { readYarnBerryLock } from "./yarn-berry.js";
import { readYarnClassicLock } from "./yarn-classic.js";

/** The lockfile at `rel`, read by what its name says it is. Never throws: a reader's failure is an error. */
export function readJsLock(rel: string, text: string): LockRead {
  try {
    switch (posix.basename(rel)) {
      case "pnpm-lock.yaml":
        return readPnpmLock(rel, text);
      case "yarn.lock":
        // Berry's lockfile is YAML and always starts its entries with __metadata; classic's has none.
        return /^__metadata:/m.test(text) ? readYarnBerryLock(rel, text) : readYarnClassicLock(rel, text);
      case "bun.lock":
        return readBunLock(rel, text);
      default:
        return lockError(rel, { line: 1, column: 1 }, "not a lockfile the scan reads");
    }
  } catch (e) {
    return lockError(rel, { line: 1, column: 1 }, `cannot read the lockfile: ${(e as Error).message}`);
  }
}
