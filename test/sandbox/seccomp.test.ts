// The bubblewrap seccomp filter: each refused system call, made from inside, fails with EPERM (clone3 with
// ENOSYS); a shell, curl, git and python still work.
import { describe, expect, it } from "vitest";
import { BubblewrapRunner, NAMESPACE_CLONE_FLAGS, REFUSED_SYSCALLS } from "../../src/sandbox/index.js";
import { localServer } from "./fixtures.js";

const available = BubblewrapRunner.available();
if (!available) console.warn("bwrap, socat or python3-seccomp is missing: the seccomp tests are skipped");

/**
 * Makes each named system call with zero arguments (clone with one namespace flag each) and prints
 * name → errno name, or "ok". Zero arguments tell the filter apart from the kernel's own checks: without
 * the filter most of these fail with EFAULT, EINVAL or EBADF, and ptrace, keyctl, unshare, userfaultfd
 * and io_uring_setup succeed.
 */
const PROBE = `
import ctypes, errno, json, sys, seccomp
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
calls = [(name, []) for name in json.loads(sys.argv[1])]
calls += [("clone", [flag | 17]) for flag in json.loads(sys.argv[2])] + [("clone3", [])]
out = []
for name, args in calls:
    nr = seccomp.resolve_syscall(seccomp.Arch.NATIVE, name)
    args = [ctypes.c_long(a) for a in args + [0] * (6 - len(args))]
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *args)
    if r == 0 and name == "clone":
        libc._exit(0)
    e = ctypes.get_errno()
    out.append([name, "ok" if r != -1 else errno.errorcode.get(e, str(e))])
print(json.dumps(out))
`;

describe.skipIf(!available)("the bubblewrap seccomp filter", () => {
  it("refuses each listed system call from inside with EPERM, clone with a namespace flag too", async () => {
    const r = await new BubblewrapRunner().run({
      command: [
        "python3",
        "-c",
        PROBE,
        JSON.stringify(REFUSED_SYSCALLS),
        JSON.stringify(NAMESPACE_CLONE_FLAGS),
      ],
    });
    expect(r.stderr).toBe("");
    const results = JSON.parse(r.stdout) as [string, string][];
    expect(results).toHaveLength(REFUSED_SYSCALLS.length + NAMESPACE_CLONE_FLAGS.length + 1);
    const notRefused = results.filter(([name, e]) => e !== (name === "clone3" ? "ENOSYS" : "EPERM"));
    expect(notRefused).toEqual([]);
    for (const name of ["ptrace", "mount", "umount2", "pivot_root", "bpf", "perf_event_open", "keyctl"]) {
      expect(results.map(([n]) => n)).toContain(name);
    }
    for (const name of ["add_key", "userfaultfd", "kexec_load", "init_module", "unshare", "setns"]) {
      expect(results.map(([n]) => n)).toContain(name);
    }
  });

  it("shows the filter in /proc and leaves a shell, curl, git and python working", async () => {
    const server = await localServer();
    const r = await new BubblewrapRunner().run({
      command: [
        "sh",
        "-c",
        [
          "grep -E '^Seccomp:' /proc/self/status",
          "echo $((6 * 7)) | tr 0-9 0-9",
          `curl -sS --noproxy '*' http://127.0.0.1:${server.port}/blocked-by-netns || echo curl-ran`,
          "git init -q /tmp/repo && cd /tmp/repo && git -c user.name=a -c user.email=a@b commit -q --allow-empty -m one && git log --format=%s",
          'python3 -c \'import threading, subprocess; t = threading.Thread(target=print, args=("thread",)); t.start(); t.join(); print(subprocess.run(["true"]).returncode)\'',
        ].join("\n"),
      ],
    });
    expect(r.stdout.split("\n")).toEqual(["Seccomp:\t2", "42", "curl-ran", "one", "thread", "0", ""]);
    expect(r.exitCode).toBe(0);
  });
});
