// Who waits for an approval: the process that asked (it would run the tool), or a remote caller that
// runs the tool itself. The approval view says whether that process is still there, where it can tell.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** The asking process: host, pid and the kernel's start time of that pid (so a reused pid is not it). */
export interface CallerProcess {
  host: string;
  pid: number;
  /** /proc/PID/stat start time (clock ticks since boot); null where there is no /proc. */
  start: string | null;
}

export type CallerState =
  | { state: "running"; text: string }
  | { state: "gone"; text: string }
  | { state: "unknown"; text: string };

/** Where this process stands as a caller; read once. */
export const THIS_PROCESS: CallerProcess = {
  host: hostname(),
  pid: process.pid,
  start: startOf(process.pid),
};

function startOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses): state is the 3rd field,
    // start time the 22nd.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the caller recorded with an approval still waits. `null` is a caller that runs the tool
 * itself (HTTP): nothing here can know whether it still will. A process on this host is checked by
 * pid and start time; one on another host cannot be checked from here.
 */
export function callerState(caller: CallerProcess | null): CallerState {
  if (caller === null) {
    return {
      state: "unknown",
      text: "the caller runs the tool itself (HTTP): Warden cannot know whether it is still waiting",
    };
  }
  const where = `process ${caller.pid} on ${caller.host}`;
  if (caller.host !== THIS_PROCESS.host) {
    return { state: "unknown", text: `held by ${where}; it cannot be checked from this host` };
  }
  const running = alive(caller.pid) && (caller.start === null || startOf(caller.pid) === caller.start);
  return running
    ? { state: "running", text: `held by ${where}, which is running` }
    : { state: "gone", text: `the waiting ${where} is gone: nothing will run if this is approved` };
}
