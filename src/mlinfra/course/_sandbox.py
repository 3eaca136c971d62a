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
* runs in **its own PID namespace** with its own ``/proc``: it sees no other process (no other kernel's
  working folder through ``/proc/PID/cwd``), and everything it starts dies with it.

Three processes: a supervisor stays outside the PID namespace with the pid the fork server knows, the namespace's
init (PID 1) and the kernel (PID 2, so that signals keep their ordinary meaning: PID 1 would ignore a SIGKILL it
sends itself). Signals travel supervisor → init → kernel; the kernel's wait status travels back, so the supervisor
exits exactly as the kernel did. The init dies with its supervisor (PR_SET_PDEATHSIG), and everything in the
namespace dies with the init.

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


def _software_under_tmpfs() -> list[str]:
    """Folders the kernel imports from (the venv, sys.path, this package) that lie under a fresh tmpfs point, e.g. a
    checkout in /tmp: without them the kernel could not import anything once /tmp is replaced. Outermost only."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the mlinfra package (an editable install)
    found = set()
    for path in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, here, *sys.path):
        real = os.path.realpath(path) if path else ""
        if real and real not in TMPFS and os.path.isdir(real) and _under(real, TMPFS):  # never all of /tmp
            found.add(real)
    return [p for p in sorted(found) if not any(p != q and _under(p, (q,)) for q in found)]


def _file_system(cwd: str, rw: list[str], hide: list[str]) -> None:
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks back to the host
    writable = list(dict.fromkeys(os.path.realpath(p) for p in (cwd, *rw)))
    keep = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in writable}  # reachable after being covered
    for point in _mount_points():  # everything read-only, bind-mounted files (/etc/hosts) included
        if _under(point, _PSEUDO) or not os.path.exists(point):
            continue
        _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _kept_flags(point))
    software = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in _software_under_tmpfs()}
    for point in TMPFS:
        if os.path.isdir(point):
            _mount("tmpfs", point, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=2g")
    for path, fd in software.items():  # the interpreter and packages the kernel runs on, back on top, read-only
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _kept_flags(path))
        os.close(fd)
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


_RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def _relay_signals_to(pid: int) -> None:
    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in _RELAYED:
        signal.signal(signum, forward)


def _close_streams() -> None:
    for fd in (0, 1, 2):  # the kernel's streams are the kernel's
        try:
            os.close(fd)
        except OSError:
            pass


def _exit_like(status: int) -> None:
    """Exit as a process with wait status ``status`` did (by the same signal, or with the same code)."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        if -code not in (signal.SIGKILL, signal.SIGSTOP):  # (those two have no handler to reset)
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code if code >= 0 else 128 - code)


def _supervise(init: int, status_pipe: int) -> None:
    """Outside the PID namespace, with the pid the fork server knows: relay signals to the namespace's init and
    exit as the kernel exited (its wait status comes through ``status_pipe``). Keeps the write end of the
    init's death pipe open until it dies. Never returns."""
    _relay_signals_to(init)
    _close_streams()
    while True:
        try:
            _pid, status = os.waitpid(init, 0)
            break
        except InterruptedError:
            continue
    reported = os.read(status_pipe, 64)
    _exit_like(int(reported) if reported.strip() else status)


def _init(kernel: int, status_pipe: int) -> None:
    """PID 1 of the namespace: relay signals to the kernel (PID 2: ordinary signal semantics, so a kernel can still
    kill itself), reap orphans, and when the kernel ends report its wait status and end the namespace."""
    _relay_signals_to(kernel)
    _close_streams()
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
        if pid == kernel:
            os.write(status_pipe, str(status).encode())
            os._exit(0)  # PID 1 ends: the kernel kills everything left in the namespace


def enter(spec: dict, cwd: str | None = None) -> None:
    """Put this (single-threaded, just forked) process into a sandbox. Returns in the sandboxed kernel process;
    the calling process becomes its supervisor and never returns. Raises OSError when the sandbox cannot be made
    (before anything was forked)."""
    cwd = os.path.realpath(cwd or os.getcwd())
    _namespaces()
    _file_system(cwd, list(spec.get("rw", [])), list(spec.get("hide", [])))
    _loopback_up()
    death_read, death_write = os.pipe()
    status_read, status_write = os.pipe()
    init = os.fork()
    if init:
        os.close(death_read)
        os.close(status_write)
        _supervise(init, status_read)
    os.close(death_write)
    os.close(status_read)
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    if select.select([death_read], [], [], 0)[0]:  # the supervisor died before PDEATHSIG was armed
        os._exit(1)
    os.close(death_read)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    kernel = os.fork()
    if kernel:
        _init(kernel, status_write)
    os.close(status_write)
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
