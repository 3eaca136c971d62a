"""Fast kernels for grading: a fork server with torch already imported behind nbgrader's ``python3`` kernel.

A fresh kernel of this course spends most of its start in ``import torch, torchvision, matplotlib`` (≈ 8 s of CPU
on the 2-core machine). While nbgrader grades inside ``with ForkServer(folder) as server:`` and runs with
``server.env()``, its kernels are forked from one process that did those imports once; everything else is
nbgrader's own: the same kernelspec name, the same ``ipykernel``, a fresh process per submission with the
submission's working folder and environment, killed when nbgrader kills it. Scores are identical to plain
kernels (``tests/test_forkkernel.py`` grades the same class both ways).

The server never imports ``mlinfra``: ``mlinfra.HEAVY`` and anything else a kernel reads from its environment at
import time is imported fresh in every kernel. The server refuses to start when its preload started a thread
(forking a process with running threads is unsafe).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(__file__).with_name("_forkserver.py")
ENV_VAR = "MLINFRA_FORK_SERVER"
#: Imported once by the server: what nearly every notebook of the course imports, and the kernel itself.
PRELOAD = (
    "numpy",
    "torch",
    "torch._dynamo",
    "torch.optim",
    "torch.utils.data",
    "torchvision",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "PIL.Image",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
)
START_TIMEOUT = 180  # seconds for the preload
RUN_VAR = "MLINFRA_FORK_RUNNER"
#: Imported once by a runner (``ForkServer(modules=NBGRADER_PRELOAD)``): nbgrader's command line takes ≈ 5 s of
#: imports before it does anything; forked from a runner it starts at once (``run_argv``).
NBGRADER_PRELOAD = (
    "nbgrader.apps.nbgraderapp",
    "nbgrader.apps.autogradeapp",
    "nbgrader.converters.autograde",
    "nbgrader.preprocessors",
    "nbgrader.api",
    "nbclient",
    "nbconvert",
    "jupyter_client.manager",
    "sqlalchemy.dialects.sqlite",
)


def run_argv(module: str, *args: str, launcher_python: str = sys.executable) -> list[str]:
    """``python -m MODULE ARGS`` forked from the runner named by ``$MLINFRA_FORK_RUNNER`` (see ``runner_env``);
    an ordinary ``python -m`` when none answers."""
    return [launcher_python, "-I", str(SCRIPT), "run", module, *args]


def kernelspec(launcher_python: str = sys.executable) -> dict:
    """The ``python3`` kernelspec that asks the fork server for a kernel (a plain kernel when none answers)."""
    return {
        "argv": [launcher_python, "-I", str(SCRIPT), "launch", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True},
    }


class ForkServer:
    """Context manager: a running fork server and the kernelspec folder that routes ``python3`` kernels to it."""

    def __init__(self, folder: Path | None = None, env: dict[str, str] | None = None, modules=PRELOAD):
        self._own_folder = folder is None
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="mlinfra-fork-"))
        self.server_env = dict(os.environ if env is None else env)
        self.modules = tuple(modules)
        # AF_UNIX paths are limited to ~107 bytes: keep the socket in a short private folder
        self._sockdir = Path(tempfile.mkdtemp(prefix="mlfk-"))
        self.socket = self._sockdir / "s"
        self.proc: subprocess.Popen | None = None
        self.log = self.folder / "forkserver.log"
        self.start_seconds = 0.0

    @property
    def jupyter_path(self) -> Path:
        return self.folder / "jupyter"

    def env(self) -> dict[str, str]:
        """Variables that make jupyter_client (nbgrader, nbclient) start ``python3`` kernels from this server."""
        outer = self.server_env.get("JUPYTER_PATH", "")
        return {
            "JUPYTER_PATH": os.pathsep.join(p for p in (str(self.jupyter_path), outer) if p),
            ENV_VAR: str(self.socket),
        }

    def runner_env(self) -> dict[str, str]:
        """Variables that make ``run_argv`` commands fork from this server (a runner of preloaded programs)."""
        return {RUN_VAR: str(self.socket)}

    def __enter__(self) -> ForkServer:
        spec_dir = self.jupyter_path / "kernels" / "python3"
        spec_dir.mkdir(parents=True, exist_ok=True)
        (spec_dir / "kernel.json").write_text(json.dumps(kernelspec(), indent=1))
        start = time.perf_counter()
        env = {k: v for k, v in self.server_env.items() if k != "NBGRADER_EXECUTION"}
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(SCRIPT), "serve", str(self.socket), *self.modules],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        try:
            line = _readline(self.proc, START_TIMEOUT)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        if line.strip() != b"ready":
            self.__exit__(None, None, None)  # stops the server first, so its log is complete
            raise RuntimeError(f"fork server did not start:\n{self._log_tail()}")
        self.start_seconds = time.perf_counter() - start
        return self

    def _log_tail(self) -> str:
        if self.log.exists():
            return self.log.read_text(errors="replace")[-3000:]
        return getattr(self, "_log_text", "")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(self._sockdir, ignore_errors=True)
        if self._own_folder:
            self._log_text = self._log_tail()
            shutil.rmtree(self.folder, ignore_errors=True)


def enabled() -> bool:
    """Grading uses the fork server unless ``MLINFRA_FORK_KERNELS=0`` (then every kernel starts from scratch)."""
    return os.environ.get("MLINFRA_FORK_KERNELS", "1") != "0"


def _readline(proc: subprocess.Popen, timeout: float) -> bytes:
    """The server's first stdout line, or b'' when it exits or takes longer than ``timeout``."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=1):
            return proc.stdout.readline()
        if proc.poll() is not None:
            return b""
    return b""
