// Progress of a long operation (verify, export, scan, replay) on the terminal: drawn on stderr only when
// it is a TTY and --quiet was not given, so pipes, CI logs and scripts never see it.
import cliProgress from "cli-progress";
import type { CliIO } from "./io.js";

/** What a long operation reports: how far it is out of how much (records, bytes, files). */
export type OnProgress = (done: number, total: number) => void;

export interface Progress {
  /** Pass to the operation; a no-op when nothing is drawn. */
  readonly update: OnProgress;
  /** Removes the bar (call before printing the result). */
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };

/**
 * A bar labelled `label` on `io.terminal`, or nothing: without a terminal, or with `quiet`.
 * @example
 * const progress = progressBar(io, "verifying", values.quiet === true);
 * try { await verifyDatabase(db, { onProgress: progress.update }); } finally { progress.stop(); }
 */
export function progressBar(io: CliIO, label: string, quiet: boolean): Progress {
  const terminal = io.terminal;
  if (quiet || terminal === undefined || !terminal.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream: terminal,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted}`,
      clearOnComplete: true,
      hideCursor: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total) => {
      if (!started) {
        bar.start(total, done);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
