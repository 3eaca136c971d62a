"""The kernel sandbox (mlinfra.course._sandbox) as jupyter_client sees it: a forked kernel in namespaces of its own.

Graded end to end (hostile submissions, a spy) in tests/test_class_grading.py; here the process contract: exit
statuses, interrupts and kills pass through the supervisor and the namespace's init exactly as for a plain kernel.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from mlinfra.course import _sandbox, forkkernel
from mlinfra.course.nbgrader_cli import nbgrader_env

LIGHT = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel")


def test_software_under_tmp_stays_visible_but_not_all_of_tmp(monkeypatch):
    """A checkout or venv under /tmp (where a fresh tmpfs goes) is bound back read-only, outermost folder only; /tmp
    itself and folders elsewhere are not (a kernel would otherwise see every other course under /tmp)."""
    venv = Path(tempfile.mkdtemp(prefix="mlinfra-venv-", dir="/tmp"))
    try:
        (venv / "lib" / "site-packages").mkdir(parents=True)
        monkeypatch.setattr(_sandbox.sys, "prefix", str(venv))
        monkeypatch.setattr(_sandbox.sys, "path", ["", "/tmp", str(venv / "lib" / "site-packages"), "/usr/lib/python3"])
        found = _sandbox._software_under_tmpfs()
        assert str(venv) in found
        assert "/tmp" not in found and str(venv / "lib" / "site-packages") not in found
        assert all(_sandbox._under(p, _sandbox.TMPFS) for p in found), found
    finally:
        shutil.rmtree(venv, ignore_errors=True)


def test_this_machine_can_isolate_kernels():
    """The probe finds namespaces usable here (CI runs as root): otherwise every grading run would be unisolated."""
    assert _sandbox.probe() is None


@pytest.fixture(scope="module")
def server():
    with forkkernel.ForkServer(env=nbgrader_env(), modules=LIGHT) as srv:
        yield srv


@contextlib.contextmanager
def sandboxed_kernel(server, cwd: Path, monkeypatch, hide=()):
    """A python3 kernel forked by ``server`` into a sandbox, reached over ipc; always shut down afterwards."""
    runtime = Path(tempfile.mkdtemp(prefix="rt-"))
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv(_sandbox.SANDBOX_VAR, json.dumps({"rw": [str(runtime)], "hide": [str(p) for p in hide]}))
    km = KernelManager(
        kernel_name="python3", transport="ipc", ip=str(runtime / "k"), connection_file=str(runtime / "kernel.json")
    )
    km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _run(kc, code: str, timeout: float = 60) -> str:
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"])

    kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    return "".join(out)


@pytest.fixture
def var_tmp_path():
    """A folder outside /tmp (the sandbox's /tmp is private, so a folder under /tmp is hidden anyway)."""
    folder = Path(tempfile.mkdtemp(prefix="mlinfra-test-", dir="/var/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_sandboxed_kernel_sees_only_its_own_world(server, var_tmp_path, monkeypatch):
    """Inside: its folder writable, /etc read-only, a hidden folder empty, PID 2 of two, no route out."""
    tmp_path = var_tmp_path
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    work = tmp_path / "work"
    work.mkdir()
    with sandboxed_kernel(server, work, monkeypatch, hide=[secret]) as (_km, kc):
        out = _run(
            kc,
            "import os, socket\n"
            "open('mine.txt', 'w').write('ok')\n"
            "try:\n    open('/etc/planted', 'w')\nexcept OSError as e:\n    print('etc', e.errno)\n"
            f"print('hidden', os.listdir({str(secret)!r}))\n"
            "print('pid', os.getpid(), len([p for p in os.listdir('/proc') if p.isdigit()]))\n"
            "s = socket.socket(); s.settimeout(2)\nprint('net', s.connect_ex(('10.255.255.1', 80)) != 0)",
        )
    assert out.split("\n")[:4] == ["etc 30", "hidden []", "pid 2 2", "net True"], out
    assert (work / "mine.txt").read_text() == "ok"
    assert not Path("/etc/planted").exists()


@pytest.mark.parametrize("code, status", [("os._exit(3)", 3), ("os.kill(os.getpid(), signal.SIGKILL)", -9)])
def test_exit_status_passes_through_the_supervisor(server, tmp_path, monkeypatch, code, status):
    """A sandboxed kernel that exits or kills itself ends its launcher the same way (a kernel is not PID 1 here)."""
    with sandboxed_kernel(server, tmp_path, monkeypatch) as (km, kc):
        kc.execute(f"import os, signal; {code}")
        assert km.provisioner.process.wait(timeout=20) == status


def test_interrupt_reaches_the_sandboxed_kernel(server, tmp_path, monkeypatch):
    """SIGINT to the launcher (jupyter_client's interrupt) travels supervisor → init → kernel and stops the cell."""
    with sandboxed_kernel(server, tmp_path, monkeypatch) as (km, kc):
        msg_id = kc.execute("import time; time.sleep(60)")
        time.sleep(1.0)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=20)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=20)
        assert reply["content"]["ename"] == "KeyboardInterrupt"


def _pids_running(cmdline: bytes) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").strip() == cmdline:
                found.append(int(pid))
    return found


def test_killing_the_launcher_ends_the_whole_sandbox(server, tmp_path, monkeypatch):
    """When jupyter_client kills the kernel, everything the submission started dies with it (PID namespace)."""
    with sandboxed_kernel(server, tmp_path, monkeypatch) as (km, kc):
        _run(kc, "import subprocess; subprocess.Popen(['sleep', '739'], start_new_session=True)")
        assert _pids_running(b"sleep 739"), "the submission's process did not start"
        os.killpg(km.provisioner.pgid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _pids_running(b"sleep 739") and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not _pids_running(b"sleep 739"), "a process of the submission outlived its kernel"
