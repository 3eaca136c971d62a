"""The student's view in a real browser: JupyterLab as ``make lab`` starts it, driven by headless Chromium.

Used by ``tests/test_browser.py``. :class:`LabServer` starts ``jupyter lab`` on a copy of the course (loopback, a
free port, a token) and stops it together with every kernel it started; :func:`chromium` launches Debian's
Chromium through Playwright for Python (the system browser, never a downloaded one). The JavaScript helpers run in
the page through ``window.jupyterapp`` (``--LabApp.expose_app_in_browser``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil

from mlinfra.course.registry import GENERATED, Registry

CHROMIUM = Path(os.environ.get("MLINFRA_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium's own connections are refused by a closed network and it stalls.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install it with `make browser-deps` (as root: apt-get install chromium chromium-driver)"


class BrowserError(RuntimeError):
    """The browser or the Lab server could not be started."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_course(reg: Registry, dest: Path) -> Path:
    """A course folder with the repository's nbgrader config and every question's source and release folders."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(reg.root / "nbgrader_config.py", dest / "nbgrader_config.py")
    for q in reg.questions:
        here = q.in_course(dest)
        for src, dst in ((q.source_dir, here.source_dir), (q.release_dir, here.release_dir)):
            shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


class LabServer:
    """``jupyter lab`` on ``root`` as ``make lab`` runs it, plus a token and a free loopback port."""

    def __init__(self, root: Path, state: Path, startup_timeout: float = 90):
        self.root, self.state = Path(root), Path(state)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state / "jupyter-lab.log"
        self._pids: set[int] = set()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """``path`` on the server with the token (what a Binder or `make lab` link opens)."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}  # a reader, not the grader
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")  # nbgrader shells out to jupyter (as the Makefile)
        for name, sub in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.state / sub)
        # No "news" toast over the notebook (and no request to the internet for it).
        settings = self.state / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def command(self) -> list[str]:
        cmd = [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            f"--ServerApp.root_dir={self.root}",
            f"--ServerApp.default_url=/lab/tree/{GENERATED[1]}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.open_browser=False",
            "--LabApp.expose_app_in_browser=True",
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def start(self) -> LabServer:
        self.state.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            self.command(), cwd=self.root, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrowserError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        raise BrowserError(f"jupyter lab did not answer within {self.startup_timeout} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def remember_children(self) -> None:
        """Note every process the server started so far (kernels run in their own sessions)."""
        if self.proc is not None:
            with contextlib.suppress(psutil.NoSuchProcess):
                self._pids |= {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}

    def pids(self) -> set[int]:
        """The server and every process it is known to have started."""
        self.remember_children()
        return ({self.proc.pid} if self.proc else set()) | self._pids

    def stop(self) -> None:
        """Shut down kernels and server through the API, then kill whatever of them is still alive."""
        if self.proc is None:
            return
        self.remember_children()
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                req = urllib.request.Request(self.url("api/shutdown"), method="POST")
                urllib.request.urlopen(req, timeout=10).close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        kill_pids(self._pids)

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def kill_pids(pids: set[int], timeout: float = 5) -> None:
    """Terminate (then kill) those of ``pids`` that still run."""
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc = psutil.Process(pid)
            proc.terminate()
            procs.append(proc)
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(alive, timeout=timeout)


def alive(pids: set[int]) -> list[str]:
    """``pid cmdline`` of those of ``pids`` that still run (zombies count as gone)."""
    out = []
    for pid in sorted(pids):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE:
                out.append(f"{pid} {' '.join(proc.cmdline())[:200]}")
    return out


@contextlib.contextmanager
def chromium(viewport: tuple[int, int] = (1280, 860)) -> Iterator[tuple[object, set[int]]]:
    """A Playwright browser context on Debian's Chromium, and the set of browser pids (filled on exit too)."""
    if not CHROMIUM.exists():
        raise BrowserError(f"no Chromium at {CHROMIUM}: {INSTALL_HINT}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserError(f"Playwright for Python is missing ({exc}): pip install -e '.[dev]'") from None
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    pids: set[int] = set()

    def note() -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            pids.update(p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before)

    pw = sync_playwright().start()
    browser = None
    try:
        try:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000
            )
        except Exception as exc:
            raise BrowserError(f"Chromium at {CHROMIUM} did not start: {exc}\n{INSTALL_HINT}") from None
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=1)
        note()
        yield context, pids
    finally:
        note()
        with contextlib.suppress(Exception):
            if browser is not None:
                browser.close()
        with contextlib.suppress(Exception):
            pw.stop()
        kill_pids(pids)


# --- in the page -------------------------------------------------------------------------------------------------

WAIT_NOTEBOOK_JS = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.content) return false;
  app.shell.activateById(panel.id);  // the notebook commands act on the active notebook
  app.shell.collapseLeft();  // the notebook as wide as on a laptop screen
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel) return false;
  await kernel.info;
  return true;
}"""

# Run all cells as a student does with Run All; where execution stops (after a failing cell without the
# raises-exception tag), continue below it, as a student must, and record every cell's execution count and outputs.
RUN_THROUGH_JS = """async ([maxRounds, roundSeconds]) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const nb = panel.content;
  const n = nb.widgets.length;
  const isCode = i => nb.widgets[i].model.type === 'code';
  const stops = [];
  let start = 0;
  for (let round = 0; round < maxRounds && start < n; round++) {
    const before = nb.widgets.map(w => w.model.type === 'code' ? w.model.executionCount : null);
    nb.activeCellIndex = start;
    nb.deselectAll();
    const t0 = performance.now();
    const run = app.commands.execute(start === 0 ? 'notebook:run-all-cells' : 'notebook:run-all-below');
    const timer = new Promise(resolve => setTimeout(() => resolve('timeout'), roundSeconds * 1000));
    if (await Promise.race([run, timer]) === 'timeout') {
      stops.push({from: start, stopped: 'timeout', seconds: roundSeconds});
      break;
    }
    // Run All resolves at the first error; cells the kernel did not abort may still be running: wait for 1 s idle.
    const kernel = panel.sessionContext.session.kernel;
    for (let idle = 0; idle < 5; ) {
      await new Promise(resolve => setTimeout(resolve, 200));
      idle = kernel.status === 'idle' ? idle + 1 : 0;
    }
    // The first code cell this round did not run is where execution stopped.
    let next = -1;
    for (let i = start; i < n; i++) {
      if (isCode(i) && nb.widgets[i].model.executionCount === before[i]) { next = i; break; }
    }
    stops.push({from: start, stopped: next, seconds: (performance.now() - t0) / 1000});
    if (next < 0 || next === start) break;
    start = next;
  }
  const cells = nb.widgets.map((w, i) => {
    const m = w.model;
    const out = {index: i, type: m.type, nbgrader: m.getMetadata('nbgrader') || null,
                 tags: m.getMetadata("tags") || [], head: m.sharedModel.getSource().slice(0, 120)};
    if (m.type === 'code') {
      out.execution_count = m.executionCount;
      out.outputs = m.outputs.toJSON().map(o => ({
        output_type: o.output_type, name: o.name || null, ename: o.ename || null,
        evalue: o.evalue ? String(o.evalue).slice(0, 300) : null,
        mimes: o.data ? Object.keys(o.data) : [], text: o.text ? String(o.text).slice(0, 300) : null}));
    }
    return out;
  });
  return {stops, cells};
}"""

RENDERED_JS = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content.node;
  const imgs = [...nb.querySelectorAll('.jp-OutputArea-output.jp-RenderedImage img')];
  return {
    images: imgs.length,
    images_loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    stdout: nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]').length,
    stderr: nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length,
    tables: nb.querySelectorAll('.jp-RenderedMarkdown table, .jp-RenderedHTMLCommon table').length,
  };
}"""


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
