"""The fork server behind grading kernels (mlinfra.course.forkkernel): fresh, faithful kernels and no leftovers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from mlinfra.course import forkkernel
from mlinfra.course.classroom import Classroom, demo_class
from mlinfra.course.nbgrader_cli import nbgrader_env
from mlinfra.course.registry import registry
from mlinfra.course.roundtrip import KILLER, roundtrip_class


@pytest.fixture(scope="module")
def server():
    with forkkernel.ForkServer(env=nbgrader_env()) as srv:
        yield srv
    assert srv.proc.poll() is not None, "the fork server outlived its context"


@pytest.fixture
def kernel_env(server, monkeypatch):
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    return server


def _run(kc, code: str, timeout: float = 60) -> str:
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["evalue"])

    kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    return "".join(out)


@contextlib.contextmanager
def _kernel(cwd: Path, now: bool = False):
    """A python3 kernel (routed to the fork server when the env says so), always shut down afterwards."""
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=now)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_forked_kernel_is_fresh_and_faithful(kernel_env, tmp_path, monkeypatch):
    """A forked kernel works in the submission's folder, sees nbgrader's run mode and imports mlinfra afresh."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("MLINFRA_PROBE", "42")
    with _kernel(tmp_path) as (km, kc):
        assert "_forkserver.py" in " ".join(km.kernel_spec.argv)
        out = _run(
            kc,
            "import os, sys, torch, mlinfra\n"
            "x = torch.randn(800, 800)\n"
            "probe = os.environ['MLINFRA_PROBE']\n"
            "print(os.getcwd(), probe, mlinfra.HEAVY, (x @ x).shape[0], torch.get_num_threads())\n"
            "import matplotlib; print(matplotlib.get_backend())",
        )
        assert out.split()[:5] == [str(tmp_path), "42", "False", "800", str(torch_threads())], out
        assert "matplotlib_inline" in out, out
        assert km.provisioner.process.pid in _children(os.getpid())
    assert not _children(kernel_env.proc.pid), "a kernel outlived its shutdown"


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def test_two_kernels_do_not_share_state(kernel_env, tmp_path):
    """What one graded kernel defines or seeds is invisible to the next (each is a fresh fork)."""
    with _kernel(tmp_path) as (km, kc):
        _run(kc, "import torch, numpy as np; torch.manual_seed(1); LEFTOVER = 1")
        first = _run(kc, "print(np.random.randint(1 << 30))")
    with _kernel(tmp_path) as (km, kc):
        out = _run(kc, "import numpy as np, torch\nprint('LEFTOVER' in globals(), np.random.randint(1 << 30))")
    assert out.split()[0] == "False", out
    assert out.split()[1] != first.strip(), "two kernels drew the same numpy random numbers"


def test_kernel_exit_code_reaches_jupyter_client(kernel_env, tmp_path):
    """A submission calling os._exit(3) ends its kernel process with status 3, as a plain kernel would."""
    with _kernel(tmp_path, now=True) as (km, kc):
        kc.execute("import os; os._exit(3)")
        assert km.provisioner.process.wait(timeout=20) == 3
        assert not km.is_alive()


def test_killing_the_launcher_kills_the_kernel(kernel_env, tmp_path):
    """When jupyter_client kills the kernel process (a timeout, nbgrader's cleanup), the forked kernel dies too."""
    with _kernel(tmp_path, now=True) as (km, kc):
        forked = int(_run(kc, "import os; print(os.getpid())").strip())
        assert forked in _children(kernel_env.proc.pid)
        kc.execute("import time; time.sleep(600)")
        os.killpg(km.provisioner.pgid, signal.SIGKILL)
        assert _wait_gone(forked), "the forked kernel survived its launcher"


def test_interrupt_reaches_the_kernel(kernel_env, tmp_path):
    """An interrupt (SIGINT to the launcher, as jupyter_client sends it) stops the running cell."""
    with _kernel(tmp_path) as (km, kc):
        msg_id = kc.execute("import time; time.sleep(60)")
        time.sleep(1.0)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=20)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=20)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"


def test_stopping_the_server_kills_its_kernels(tmp_path, monkeypatch):
    """A kernel still running when grading ends is killed with the server; nothing stays behind."""
    with forkkernel.ForkServer(env=nbgrader_env(), modules=("IPython", "ipykernel.kernelapp")) as srv:
        for key, value in srv.env().items():
            monkeypatch.setenv(key, value)
        km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
        forked = int(_run(kc, "import os; print(os.getpid())").strip())
        kc.stop_channels()
    assert _wait_gone(forked), "a kernel outlived the fork server"
    km.shutdown_kernel(now=True)


def test_without_a_server_the_kernelspec_starts_a_plain_kernel(tmp_path, monkeypatch):
    """The routed kernelspec still works when no server answers (a stale variable after grading)."""
    with forkkernel.ForkServer(env=nbgrader_env(), modules=("IPython",)) as srv:
        env = srv.env()
        spec_dir = Path(tmp_path / "jupyter")
        shutil.copytree(srv.jupyter_path, spec_dir)
    monkeypatch.setenv("JUPYTER_PATH", str(spec_dir))
    monkeypatch.setenv(forkkernel.ENV_VAR, env[forkkernel.ENV_VAR])  # the socket is gone
    with _kernel(tmp_path) as (km, kc):
        assert "_forkserver.py" in " ".join(km.kernel_spec.argv)
        assert _run(kc, "print(6 * 7)").strip() == "42"


@pytest.mark.parametrize("module", ["mlinfra.env", "starts_a_thread"])
def test_unsafe_preload_is_refused(module, tmp_path):
    """A preload that imports mlinfra (would freeze HEAVY) or starts a thread (unsafe to fork) stops the server."""
    (tmp_path / "starts_a_thread.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
    )
    env = nbgrader_env(PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(RuntimeError, match="unsafe preload"):
        with forkkernel.ForkServer(env=env, modules=(module,)):
            pass


def test_grades_identical_to_plain_kernels(tmp_path):
    """The same class (solution, blank, wrong answers, a dying kernel) scores cell for cell the same through the
    course's grader (`mlinfra grade`: fork kernels, isolated; what every round trip uses) as with one plain nbgrader
    autograde and ordinary kernels."""
    q = registry().question("q01_zero_grad")
    students, _victim = roundtrip_class(q)
    names = ["solution", "blank", KILLER, *sorted(s for s in demo_class(q) if s not in ("solution", "blank"))[:2]]
    results, rooms = {}, {}
    for fork in (False, True):
        room = rooms[fork] = Classroom(q.root, tmp_path / f"fork-{fork}")
        room.add_assignment(q)
        for name in names:
            room.submit(q, name, students[name])
        ungraded = room.autograde(q, fork=fork, plain=not fork)
        results[fork] = (room.scores(q), ungraded)
    assert results[True] == results[False]
    scores, ungraded = results[True]
    assert ungraded == {KILLER}
    assert all(scores["solution"].values()) and not any(scores["blank"].values())
    statuses = {r.student: r.status for r in rooms[True].results[q.slug]}
    assert statuses == {n: "kernel-died" if n == KILLER else "graded" for n in names}, statuses
    # the grader's own per-cell report agrees with plain nbgrader's gradebook, cell for cell
    cells = {r.student: r.cells for r in rooms[True].results[q.slug] if r.status == "graded"}
    assert cells == {n: scores[n] for n in names if n != KILLER}


def test_runner_forks_a_preloaded_program(tmp_path):
    """`run` mode: `python -m MODULE` forked from a runner: same output, working folder, environment and exit code."""
    import subprocess

    (tmp_path / "data.json").write_text('{"b": 1, "a": [2]}')
    (tmp_path / "bad.json").write_text("{not json")
    argv = forkkernel.run_argv("json.tool", "--sort-keys", "--compact")
    with forkkernel.ForkServer(env=nbgrader_env(), modules=("json",)) as srv:
        env = {**nbgrader_env(), **srv.runner_env()}
        ok = subprocess.run([*argv, "data.json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        bad = subprocess.run([*argv, "bad.json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert not _children(srv.proc.pid), "a program outlived its run"
    assert (ok.returncode, ok.stdout.strip()) == (0, '{"a":[2],"b":1}'), ok.stderr
    assert bad.returncode == 1 and "Expecting property name" in bad.stderr
    # without a runner: an ordinary `python -m`, same result
    plain = subprocess.run([*argv, "data.json"], cwd=tmp_path, env=nbgrader_env(), capture_output=True, text=True)
    assert (plain.returncode, plain.stdout) == (ok.returncode, ok.stdout)
