// The seccomp filter sandboxed commands run under: built once per process with libseccomp (python3-seccomp).
import { spawnSync } from "node:child_process";
import { SandboxError } from "./errors.js";

/**
 * System calls a tool has no business making, refused with EPERM: debugging other processes, mounts,
 * new namespaces, kernel modules and kexec, eBPF and perf, the kernel keyring, userfaultfd (a classic
 * exploit aid), raw I/O ports, the clock, swap, reboot and accounting, file handles that bypass paths,
 * and io_uring (a large attack surface that seccomp cannot look into).
 */
export const REFUSED_SYSCALLS: readonly string[] = Object.freeze([
  "ptrace",
  "process_vm_readv",
  "process_vm_writev",
  "mount",
  "umount2",
  "pivot_root",
  "chroot",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "move_mount",
  "open_tree",
  "mount_setattr",
  "unshare",
  "setns",
  "bpf",
  "perf_event_open",
  "keyctl",
  "add_key",
  "request_key",
  "userfaultfd",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "iopl",
  "ioperm",
  "open_by_handle_at",
  "name_to_handle_at",
  "quotactl",
  "swapon",
  "swapoff",
  "reboot",
  "acct",
  "syslog",
  "settimeofday",
  "clock_settime",
  "clock_adjtime",
  "adjtimex",
  "lookup_dcookie",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
]);

/** clone() with any of these flags (a new mount, UTS, IPC, user, PID, network or cgroup namespace) gets EPERM. */
export const NAMESPACE_CLONE_FLAGS: readonly number[] = Object.freeze([
  0x00020000, // CLONE_NEWNS
  0x02000000, // CLONE_NEWCGROUP
  0x04000000, // CLONE_NEWUTS
  0x08000000, // CLONE_NEWIPC
  0x10000000, // CLONE_NEWUSER
  0x20000000, // CLONE_NEWPID
  0x40000000, // CLONE_NEWNET
]);

/**
 * clone3 passes its flags in memory seccomp cannot read, so it gets ENOSYS: the C library then falls
 * back to clone(), whose flags the filter checks (the practice of container runtimes).
 */
const PROGRAM = `
import errno, sys, seccomp
f = seccomp.SyscallFilter(seccomp.ALLOW)
for name in sys.argv[1].split(","):
    f.add_rule(seccomp.ERRNO(errno.EPERM), name)
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
for flag in [int(x) for x in sys.argv[2].split(",")]:
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
sys.stdout.flush()
f.export_bpf(sys.stdout)
`;

/** Interpreters tried in turn: the system one first (python3-seccomp installs for it), then PATH's. */
const PYTHONS = ["/usr/bin/python3", "python3"];

let built: Buffer | null = null;

/**
 * The filter as the BPF program bubblewrap's `--seccomp FD` reads, compiled by libseccomp for this
 * machine's architecture (other architectures' system calls are killed). Built on first use and kept;
 * throws SANDBOX_UNAVAILABLE when libseccomp's Python binding is missing (fail closed: nothing runs).
 */
export function seccompFilter(): Buffer {
  if (built !== null) return built;
  const args = ["-c", PROGRAM, REFUSED_SYSCALLS.join(","), NAMESPACE_CLONE_FLAGS.join(",")];
  for (const python of PYTHONS) {
    const out = spawnSync(python, args, {
      stdio: ["ignore", "pipe", "ignore"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      timeout: 30_000,
    });
    if (out.status === 0 && out.stdout.length > 0 && out.stdout.length % 8 === 0) {
      built = out.stdout;
      return built;
    }
  }
  throw new SandboxError(
    "SANDBOX_UNAVAILABLE",
    "could not build the sandbox's seccomp filter: python3 with libseccomp (Debian: python3-seccomp) is required",
  );
}

/** True when the filter can be built here. */
export function seccompAvailable(): boolean {
  try {
    seccompFilter();
    return true;
  } catch {
    return false;
  }
}
