"""A fork server for IPython kernels, and the kernel launcher that asks it for one.

Run by path, never imported as part of ``mlinfra`` (a kernel must not see the tooling, and importing ``mlinfra``
here would freeze ``mlinfra.HEAVY`` at the server's environment). Standard library only, until ``serve`` preloads.

``python _forkserver.py serve SOCKET MODULE...``
    Import MODULE... once (torch, matplotlib, ipykernel, ...), print ``ready`` and fork one IPython kernel per
    request. A kernel gets the requester's stdin/stdout/stderr, working folder and environment, and is killed when
    its requester disconnects (jupyter_client killed the launcher) or when the server stops.
    Per request, from the requester's environment (set by ``mlinfra grade`` for one submission):
    ``MLINFRA_KERNEL_MEM`` bytes of data segment the kernel may add to what the fork already maps (RLIMIT_DATA:
    heap and private writable mappings; a larger allocation raises MemoryError), ``MLINFRA_KERNEL_WALL`` seconds
    after which the server kills the kernel, ``MLINFRA_KERNEL_REPORT`` a file the server appends one JSON line to
    when the kernel ends (exit status, whether the server killed it and why, peak RSS, seconds),
    ``MLINFRA_KERNEL_SANDBOX`` a JSON spec that puts the kernel into namespaces of its own before it runs anything
    (no network, read-only file system but its own folders, hidden paths, own PID namespace: ``_sandbox.py``; the
    requester must use ZeroMQ's ``ipc`` transport). A kernel whose sandbox fails exits with status 87 unrun.

``python _forkserver.py run MODULE ARG...``
    ``python -m MODULE ARG...`` forked from the server named by ``$MLINFRA_FORK_RUNNER`` (one that preloaded the
    module, e.g. nbgrader: its command line starts in ~0.1 s instead of seconds); the same process contract as
    ``launch``; without a reachable server an ordinary ``python -m MODULE``. No limits apply to it.

``python _forkserver.py launch -f CONNECTION_FILE``
    What the kernelspec runs. Asks the server named by ``$MLINFRA_FORK_SERVER`` for a kernel, forwards signals to
    it and exits with its exit code, so jupyter_client sees an ordinary kernel process. Without a reachable server
    it becomes a plain ``python -m ipykernel_launcher`` (same as the stock kernelspec).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

ENV_VAR = "MLINFRA_FORK_SERVER"
RUN_VAR = "MLINFRA_FORK_RUNNER"
MEM_VAR, WALL_VAR, REPORT_VAR = "MLINFRA_KERNEL_MEM", "MLINFRA_KERNEL_WALL", "MLINFRA_KERNEL_REPORT"
SANDBOX_VAR, SANDBOX_FAILED = "MLINFRA_KERNEL_SANDBOX", 87  # as _sandbox.py
_sandbox = None  # _sandbox.py, loaded by path by the server before it forks
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def _send(sock: socket.socket, obj: dict, fds: list[int] | None = None) -> None:
    data = json.dumps(obj).encode() + b"\n"
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.sendall(data)


class _Lines:
    """Newline-delimited JSON messages from a stream socket."""

    def __init__(self, sock: socket.socket):
        self.sock, self.buf = sock, b""

    def read(self) -> dict | None:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


# --------------------------------------------------------------------------------------------- launcher (client)
def _plain_kernel(argv: list[str]) -> None:
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])


def _plain_module(argv: list[str]) -> None:
    os.execv(sys.executable, [sys.executable, "-m", *argv])


def launch(argv: list[str], kind: str = "kernel") -> None:
    path = os.environ.get(ENV_VAR if kind == "kernel" else RUN_VAR, "")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        _send(sock, {"kind": kind, "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}, [0, 1, 2])
        reply = _Lines(sock)
        started = reply.read()
    except OSError:
        started = None
    if not started or "pid" not in started:
        sock.close()
        # no server: an ordinary kernel, as the stock kernelspec would start (or an ordinary `python -m`)
        (_plain_kernel if kind == "kernel" else _plain_module)(argv)
        return
    pid = started["pid"]

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    while True:
        try:
            msg = reply.read()
        except InterruptedError:
            continue
        if msg is None:  # the server died: take the kernel with us
            forward(signal.SIGKILL, None)
            sys.exit(1)
        if "exit" in msg:
            code = msg["exit"]
            if code < 0:  # killed by a signal: die the same way, so the caller sees the same status
                if -code not in (signal.SIGKILL, signal.SIGSTOP):  # (no handler to reset for those two)
                    signal.signal(-code, signal.SIG_DFL)
                os.kill(os.getpid(), -code)
            sys.exit(code)


# ------------------------------------------------------------------------------------------------------ server
def _become_module(request: dict) -> None:
    """In the forked child, set up by _become_kernel: ``python -m MODULE ARG...`` (never returns)."""
    import runpy

    module, *args = request["argv"]
    sys.argv = [module, *args]
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):  # as the interpreter does at exit
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # the program closed it
                pass
    os._exit(code)


def _become_kernel(request: dict, fds: list[int], inherited: list) -> None:
    """In the forked child: turn this pre-imported process into the requested kernel (never returns)."""
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL if sig != signal.SIGINT else signal.default_int_handler)
    for obj in inherited:  # the server's sockets and selector are not the kernel's business
        obj.close()
    for fd, target in zip(fds, (0, 1, 2), strict=True):
        os.dup2(fd, target)
        if fd > 2:
            os.close(fd)
    os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if request.get("kind") == "run":
        _become_module(request)
    spec = os.environ.pop(SANDBOX_VAR, "")
    if spec:  # from here on this process is the sandboxed kernel; its parent stays behind as its supervisor
        try:
            _sandbox.enter(json.loads(spec), request["cwd"])
        except Exception as exc:  # noqa: BLE001 - never run a submission unsandboxed when a sandbox was asked for
            print(f"fork server: kernel sandbox failed, submission not run: {exc}", file=sys.stderr, flush=True)
            os._exit(SANDBOX_FAILED)
    _limit_memory(os.environ.get(MEM_VAR, ""))
    # a fresh kernel draws fresh random state (python's `random` reseeds itself after a fork)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    # ipykernel reads JPY_PARENT_PID when its module is imported, i.e. in the server: hand it over explicitly
    # (in a sandbox the kernel's parent is the namespace's init, PID 1: it dies with its supervisor, and the poller
    # would mistake PID 1 for an orphaned kernel's parent)
    if os.environ.get("JPY_PARENT_PID", "").isdigit() and not spec:
        sys.argv.append(f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}")
    # as `python -m ipykernel_launcher`: the working folder is not on sys.path while ipykernel loads;
    # IPython puts '' back for the user's code
    from ipykernel import kernelapp

    code = 0
    try:
        kernelapp.launch_new_instance()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _vm_data() -> int:
    """Bytes of this process's data segment as RLIMIT_DATA counts it (VmData)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_memory(value: str) -> None:
    """Allow ``value`` bytes of data segment on top of what the forked kernel maps already (nothing when empty)."""
    if not value.strip():
        return
    import resource

    limit = _vm_data() + int(float(value))
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


class _Kernel:
    """What the server knows about one forked kernel."""

    def __init__(self, conn, env: dict, kind: str = "kernel"):
        import time

        env = env if kind == "kernel" else {}  # a `run` program is not a kernel: no limits, no report
        self.conn = conn
        self.started = time.monotonic()
        self.started_at = time.time()
        wall = env.get(WALL_VAR, "").strip()
        self.deadline = self.started + float(wall) if wall else None
        self.report = env.get(REPORT_VAR) or None
        self.killed: str | None = None  # why the server killed it

    def kill(self, pid: int, reason: str) -> None:
        if self.killed is None:
            self.killed = reason
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def write_report(self, pid: int, code: int, rusage) -> None:
        import time

        if not self.report:
            return
        line = {
            "pid": pid,
            "exit": code,
            "killed": self.killed,
            "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1) if rusage is not None else None,
            "seconds": round(time.monotonic() - self.started, 2),
            "started_at": self.started_at,
        }
        try:
            with open(self.report, "a") as fh:
                fh.write(json.dumps(line) + "\n")
        except OSError:
            pass


def _load_sandbox():
    """``_sandbox.py`` next to this file, by path (``mlinfra`` must not be imported here)."""
    import importlib.util

    where = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sandbox.py")
    spec = importlib.util.spec_from_file_location("_mlinfra_sandbox", where)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(path: str, modules: list[str]) -> None:
    import importlib
    import selectors
    import threading

    global _sandbox
    _sandbox = _load_sandbox()

    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel sets it
    for name in modules:
        importlib.import_module(name)
    leaked = sorted(m for m in sys.modules if m == "mlinfra" or m.startswith("mlinfra."))
    if leaked or threading.active_count() != 1:
        sys.exit(f"fork server: unsafe preload (mlinfra modules {leaked}, {threading.active_count()} threads)")

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    import time

    kernels: dict[int, _Kernel] = {}  # pid -> the kernel and its launcher's connection (None: launcher gone)
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)

    def reap() -> None:
        while kernels:
            try:
                pid, status, rusage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            kernel = kernels.pop(pid, None)
            if kernel is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            kernel.write_report(pid, code, rusage)
            if kernel.conn is not None:
                try:
                    _send(kernel.conn, {"exit": code})
                except OSError:
                    pass
                sel.unregister(kernel.conn)
                kernel.conn.close()

    try:
        while not stopping:
            for key, _ in sel.select(timeout=0.05):
                if key.fileobj is listener:
                    conn, _ = listener.accept()
                    try:
                        msg, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
                        request = json.loads(msg.split(b"\n", 1)[0])
                    except (OSError, ValueError):
                        conn.close()
                        continue
                    pid = os.fork()
                    if pid == 0:
                        others = [k.fileobj for k in sel.get_map().values()]
                        _become_kernel(request, fds, [*others, sel, conn])
                    for fd in fds:
                        os.close(fd)
                    kernels[pid] = _Kernel(conn, request.get("env", {}), request.get("kind", "kernel"))
                    sel.register(conn, selectors.EVENT_READ, pid)
                    _send(conn, {"pid": pid})
                else:  # a launcher hung up (jupyter_client killed it): kill its kernel too
                    conn, pid = key.fileobj, key.data
                    try:
                        alive = conn.recv(1, socket.MSG_PEEK)
                    except OSError:
                        alive = b""
                    if not alive:
                        sel.unregister(conn)
                        conn.close()
                        kernel = kernels.get(pid)
                        if kernel is not None:
                            kernel.conn = None  # reaped below, nobody to tell
                            kernel.kill(pid, "launcher gone")
            now = time.monotonic()
            for pid, kernel in list(kernels.items()):
                if kernel.deadline is not None and now > kernel.deadline and kernel.killed is None:
                    kernel.kill(pid, "wall")
            reap()
    finally:
        for pid, kernel in list(kernels.items()):
            try:
                kernel.kill(pid, "server stopped")
                _pid, status, rusage = os.wait4(pid, 0)
                kernel.write_report(pid, os.waitstatus_to_exitcode(status), rusage)
            except (ProcessLookupError, ChildProcessError):
                pass
        listener.close()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def main(argv: list[str]) -> None:
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # this file's folder (mlinfra/course) must not shadow anything
    if argv[:1] == ["serve"]:
        serve(argv[1], argv[2:])
    elif argv[:1] == ["launch"]:
        launch(argv[1:])
    elif argv[:1] == ["run"]:
        launch(argv[1:], kind="run")
    else:
        sys.exit("usage: _forkserver.py serve SOCKET MODULE... | launch -f CONNECTION_FILE | run MODULE ARG...")


if __name__ == "__main__":
    main(sys.argv[1:])
