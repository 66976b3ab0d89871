#!/usr/bin/env python3
"""Peak memory of a whole process tree: the largest sum of RSS, over every process
the command started, seen at any one moment.

    treemem.py --out FILE [--interval SECONDS] [--exclude-comm a,b] -- COMMAND...

Run as root. GNU time's %M is the largest *single* process's peak; a cold run is
several processes at once (burrow's CLI, its unpack workers, unshare, sh, bwrap,
the job; podman, its pause process, conmon, runc), so their sum is what a CI runner
has to hold. How:

- Membership: COMMAND starts in a new cgroup of its own on the cgroup v2 hierarchy
  (/sys/fs/cgroup/unified on this cgroup v1 hybrid host, /sys/fs/cgroup on a pure v2
  host), which every descendant inherits whatever it does: a daemon that double-forks
  (fuse-overlayfs, podman's pause process), a process in another PID or user
  namespace (bwrap's children) are all still members. Where no cgroup v2 hierarchy
  exists, the tree is followed through the parent links in /proc instead (a process
  once seen stays counted while it lives).
- Memory: every INTERVAL (default 10 ms) the VmRSS of every member is read from
  /proc/PID/status and summed; the largest sum is the peak. Processes whose command
  name is in --exclude-comm (the measuring wrappers: runuser, time) are left out.
- Processes that share one address space are counted once: a posix_spawn (vfork:
  clone with CLONE_VM) child runs on its parent's memory until it execs, and its
  VmRSS is its parent's (checked with kcmp(2) KCMP_VM, between processes of one
  command name). A fork()ed child is counted: its page tables are its own.
- RSS counts a shared page once per process that maps it (two node processes each
  count node's code), so the sum is an upper bound of what the tree holds; the page
  cache of the files it writes is not counted (it is the kernel's, reclaimable).
  A spike shorter than the interval can be missed.

Writes to FILE: `peak_kb N`, `samples N`, `procs_at_peak comm:kb ...`, `max_procs N`.
Exits with COMMAND's exit status.
"""
import argparse
import os
import signal
import subprocess
import sys
import time


def cgroup2_root():
    try:
        with open("/proc/mounts") as f:
            mounts = [line.split() for line in f]
    except OSError:
        return None
    for m in mounts:
        if m[2] == "cgroup2" and os.access(m[1], os.W_OK):
            return m[1]
    return None


def read_members(procs_file):
    try:
        with open(procs_file) as f:
            return {int(x) for x in f.read().split()}
    except OSError:
        return set()


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
        return int(data[data.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def tree_members(root, known):
    """root and its descendants (and processes seen before that still live)."""
    alive = set()
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            pid = int(name)
            alive.add(pid)
            ppid = parent_of(pid)
            if ppid is not None:
                parents[pid] = ppid
    members = {p for p in known if p in alive}
    members.add(root)
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in members and pid not in members:
                members.add(pid)
                changed = True
    return members


_SYS_KCMP = {"x86_64": 312, "aarch64": 272}.get(os.uname().machine)
_libc = None


def same_memory(pid_a, pid_b):
    """Whether two processes share one address space (kcmp KCMP_VM); False when it cannot tell."""
    global _libc
    if _SYS_KCMP is None:
        return False
    if _libc is None:
        import ctypes
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc.syscall(_SYS_KCMP, pid_a, pid_b, 1, 0, 0) == 0  # 1: KCMP_VM


def rss_of(pid):
    """(comm, VmRSS in kB), or None for a process gone or a kernel thread."""
    try:
        with open(f"/proc/{pid}/status") as f:
            comm, rss = None, None
            for line in f:
                if line.startswith("Name:"):
                    comm = line.split(None, 1)[1].strip() if len(line.split(None, 1)) > 1 else ""
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                    break
        return None if rss is None else (comm, rss)
    except (OSError, ValueError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=0.010)
    ap.add_argument("--exclude-comm", default="")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no command")
    exclude = {c for c in a.exclude_comm.split(",") if c}

    cg = None
    root = cgroup2_root()
    if root is not None:
        cg = os.path.join(root, f"burrow-bench-treemem-{os.getpid()}")
        try:
            os.mkdir(cg)
        except OSError:
            cg = None
    procs_file = os.path.join(cg, "cgroup.procs") if cg else None

    def enter_cgroup():
        if procs_file:
            with open(procs_file, "w") as f:
                f.write("0")

    child = subprocess.Popen(cmd, preexec_fn=enter_cgroup)
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda n, _f: child.send_signal(n))

    peak, at_peak, samples, max_procs = 0, [], 0, 0
    known = set()
    while True:
        done = child.poll() is not None
        members = read_members(procs_file) if procs_file else tree_members(child.pid, known)
        if not procs_file:
            known = members
        total, seen, counted = 0, [], []
        for pid in sorted(members):
            r = rss_of(pid)
            if r is None or r[0] in exclude:
                continue
            if any(comm == r[0] and same_memory(other, pid) for other, comm in counted):
                continue
            # Read before an exec that ended a shared address space (kcmp then sees two): read again.
            if any(comm == r[0] for _, comm in counted):
                r = rss_of(pid)
                if r is None or r[0] in exclude:
                    continue
            counted.append((pid, r[0]))
            total += r[1]
            seen.append(r)
        samples += 1
        max_procs = max(max_procs, len(seen))
        if total > peak:
            peak, at_peak = total, seen
        if done:
            break
        time.sleep(a.interval)

    if cg:
        # What outlives the command (podman's pause process) goes back to the root cgroup.
        for pid in read_members(procs_file):
            try:
                with open(os.path.join(root, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
            except OSError:
                pass
        try:
            os.rmdir(cg)
        except OSError:
            pass

    with open(a.out, "w") as f:
        f.write(f"peak_kb {peak}\n")
        f.write(f"samples {samples}\n")
        f.write("procs_at_peak " + " ".join(f"{c.replace(' ', '_')}:{k}" for c, k in sorted(at_peak, key=lambda x: -x[1])) + "\n")
        f.write(f"max_procs {max_procs}\n")
        f.write(f"membership {'cgroup2' if cg else 'process tree'}\n")
    sys.exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)


if __name__ == "__main__":
    main()
