"""A sandbox for one grading kernel: Linux namespaces entered by the forked kernel itself (standard library only).

Loaded by path by ``_forkserver.py`` (which never imports ``mlinfra``) and imported as ``mlinfra.course._sandbox``
by the tooling, for ``probe``. A kernel forked for one submission calls ``enter(spec)`` before it runs any of the
submission's code; from then on it

* has **no network**: a new network namespace with only its own loopback (a notebook can still serve and call
  127.0.0.1 inside its sandbox, but not reach the grader's loopback services, other kernels or the outside);
* **sees the file system read-only**, except its own working folder and the folders in ``spec["rw"]`` (the Jupyter
  runtime folder with its connection file and sockets), and a fresh, private ``/tmp`` and ``/dev/shm``;
* **cannot see** the paths in ``spec["hide"]`` (other submissions, the gradebook, ``source/``, the solutions): an
  empty read-only tmpfs is mounted over a folder, ``/dev/null`` over a file;
* runs as PID 1 of **its own PID namespace** with its own ``/proc``: it sees no other process (no other kernel's
  working folder through ``/proc/PID/cwd``), and everything it starts dies with it.

A small supervisor process stays outside the PID namespace with the pid the fork server knows: it forwards the
interrupt and user signals to the kernel, turns a termination request into SIGKILL (PID 1 ignores a SIGTERM it has
no handler for) and exits the way the kernel exited. The kernel dies with its supervisor (PR_SET_PDEATHSIG).

Needs a single-threaded process (the fork server refuses a threaded preload) and either root or unprivileged user
namespaces; ``probe()`` tells whether this machine allows it. Network access between sandboxed kernels and nbgrader
goes over ZeroMQ's ``ipc`` transport (Unix sockets in the runtime folder), since TCP loopback is per namespace.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import re
import select
import signal
import socket
import struct
import sys

SANDBOX_VAR = "MLINFRA_KERNEL_SANDBOX"  # JSON spec in the kernel request's environment: {"rw": [...], "hide": [...]}
FAILED_EXIT = 87  # a kernel whose sandbox could not be set up exits with this status before running anything
TMPFS = ("/tmp", "/dev/shm")  # fresh and private per kernel
_PSEUDO = ("/proc", "/sys", "/dev")  # left as they are (a fresh /proc is mounted for the new PID namespace)

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
# statvfs f_flag bit -> the mount flag a remount must keep (the kernel refuses to drop a locked one)
_KEEP = {2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME, 2048: MS_NODIRATIME, 4096: MS_RELATIME}
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None
    _check(_libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            raw = line.split()[4]  # the kernel escapes space, tab, newline and backslash as \\ooo
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), raw))
    return points


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _kept_flags(path: str) -> int:
    flags = os.statvfs(path).f_flag
    return sum(ms for st, ms in _KEEP.items() if flags & st)


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _loopback_up() -> None:
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, siocgifflags, req))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def _namespaces() -> None:
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC
    if os.geteuid() != 0:  # unprivileged: a user namespace that maps only ourselves gives the capabilities
        flags |= CLONE_NEWUSER
    _check(_libc.unshare(flags), "unshare")
    if flags & CLONE_NEWUSER:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")


def _file_system(cwd: str, rw: list[str], hide: list[str]) -> None:
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks back to the host
    writable = list(dict.fromkeys(os.path.realpath(p) for p in (cwd, *rw)))
    keep = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in writable}  # reachable after being covered
    for point in _mount_points():  # everything read-only, bind-mounted files (/etc/hosts) included
        if _under(point, _PSEUDO) or not os.path.exists(point):
            continue
        _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _kept_flags(point))
    for point in TMPFS:
        if os.path.isdir(point):
            _mount("tmpfs", point, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=2g")
    hidden = []
    for path in sorted({os.path.realpath(p) for p in hide}):
        if os.path.isdir(path):  # (a hidden folder inside another one is gone already: skipped)
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k")
            hidden.append(path)
        elif os.path.exists(path):
            _mount("/dev/null", path, None, MS_BIND)
    for path in writable:  # a stand-in folder where an own folder lies inside a hidden one or the fresh /tmp
        os.makedirs(path, exist_ok=True)
    for path in hidden:  # nothing can be written there either
        _mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for path, fd in keep.items():  # the own folders on top, writable
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND)
        _mount(None, path, None, MS_REMOUNT | MS_BIND | _kept_flags(path))
        os.close(fd)
    os.chdir(cwd)  # the folder we stood in is covered now: step into the bound one


def _supervise(kernel: int) -> None:
    """The supervisor: relay signals to the kernel (PID 1 of its namespace), exit as it exits. Never returns.
    It keeps the write end of the kernel's death pipe open until it dies."""
    to_kernel = {signal.SIGTERM: signal.SIGKILL, signal.SIGHUP: signal.SIGKILL, signal.SIGQUIT: signal.SIGKILL}

    def forward(signum, _frame):
        try:
            os.kill(kernel, to_kernel.get(signum, signum))
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, forward)
    for fd in (0, 1, 2):  # the kernel's streams are the kernel's
        try:
            os.close(fd)
        except OSError:
            pass
    while True:
        try:
            _pid, status = os.waitpid(kernel, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # killed by a signal: die the same way, so the fork server reports the same status
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


def enter(spec: dict, cwd: str | None = None) -> None:
    """Put this (single-threaded, just forked) process into a sandbox. Returns in the sandboxed kernel process;
    the calling process becomes its supervisor and never returns. Raises OSError when the sandbox cannot be made
    (before anything was forked)."""
    cwd = os.path.realpath(cwd or os.getcwd())
    _namespaces()
    _file_system(cwd, list(spec.get("rw", [])), list(spec.get("hide", [])))
    _loopback_up()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(read_end)
        _supervise(pid)
    os.close(write_end)
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    if select.select([read_end], [], [], 0)[0]:  # the supervisor died before PDEATHSIG was armed
        os._exit(1)
    os.close(read_end)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    home = "/tmp/home"
    os.makedirs(home, exist_ok=True)
    os.environ.update({"HOME": home, "IPYTHONDIR": f"{home}/.ipython", "MPLCONFIGDIR": f"{home}/.matplotlib"})


def probe() -> str | None:
    """None when a kernel sandbox can be made on this machine, else the reason (tried in a forked child)."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="mlinfra-probe-")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        try:
            enter({"rw": [], "hide": []}, folder)
            open("probe-wrote-here", "w").close()  # the own folder stays writable
            with socket.socket() as s:  # the network must be gone
                s.settimeout(1)
                if s.connect_ex(("10.255.255.1", 9)) == 0:
                    raise OSError("the sandbox still reaches the network")
            try:
                open("/etc/.mlinfra-sandbox-probe", "w").close()
                raise OSError("the sandbox can still write to /etc")
            except PermissionError:
                raise OSError("the sandbox can still write to /etc (permission checks only)") from None
            except OSError as exc:
                if exc.errno != 30:  # EROFS: the read-only file system we want
                    raise
            os.write(write_end, b"ok")
            os._exit(0)
        except BaseException as exc:  # noqa: BLE001 - report anything
            os.write(write_end, f"{type(exc).__name__}: {exc}".encode()[:500])
            os._exit(1)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 4096):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    shutil.rmtree(folder, ignore_errors=True)
    answer = b"".join(chunks).decode(errors="replace")
    return None if answer == "ok" else (answer or "the probe died")


if __name__ == "__main__":
    reason = probe()
    print(json.dumps({"isolated": reason is None, "reason": reason}))
    sys.exit(0 if reason is None else 1)
