"""Unit tests for mlinfra.mutation: the tiny digits fixture, collecting a suite, and grading a suite by mutation.

Every run is tested both ways the child process can start: forked from this process and as a fresh interpreter.
"""

from __future__ import annotations

import csv
import linecache
import os
import random
import signal
import sys
import threading
import time

import pytest
import torch

from mlinfra import mutation
from mlinfra.mutation import (
    IMPL_HEADER,
    ImplResult,
    SuiteReport,
    collect_suite,
    make_tiny_digits,
    reference_source,
    run_suite,
)

CHANNELS_LAST = (
    IMPL_HEADER
    + """class DigitsDataset(Reference):
    def __getitem__(self, index):
        image, label = super().__getitem__(index)
        return image.permute(1, 2, 0), label
"""
)
FLOAT64 = (
    IMPL_HEADER
    + """class DigitsDataset(Reference):
    def __getitem__(self, index):
        image, label = super().__getitem__(index)
        return image.double(), label
"""
)
STARTS = (
    pytest.param("fork", marks=pytest.mark.skipif(not mutation._can_fork(), reason="no safe fork here")),
    "subprocess",
)
SHAPE_SUITE = """
def test_shape(dataset_cls, tiny_digits):
    image, label = dataset_cls(tiny_digits.root)[0]
    assert image.shape == (1, 8, 8)
    assert label == tiny_digits.labels[0]
"""


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts a run of its own (the cache does not know how a result was obtained)."""
    mutation.clear_cache()
    yield
    mutation.clear_cache()


def test_make_tiny_digits_writes_real_files_out_of_name_order(tmp_path):
    tiny = make_tiny_digits(tmp_path / "d")
    with open(tiny.root / "labels.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["filename", "label"]
    assert [tuple(r) for r in rows[1:]] == [(n, str(lab)) for n, lab in zip(tiny.filenames, tiny.labels)]
    assert list(tiny.filenames) != sorted(tiny.filenames), "rows must not be in file-name order"
    assert set(tiny.labels) == set(range(10))
    assert all((tiny.root / "images" / n).read_bytes().startswith(b"\x89PNG") for n in tiny.filenames)


@pytest.mark.parametrize("bad", [(), (5, 5), (-1,), (10_000,), (True,), "12"])
def test_make_tiny_digits_rejects_bad_indices(tmp_path, bad):
    with pytest.raises(ValueError):
        make_tiny_digits(tmp_path / "d", bad)


def test_collect_suite_takes_the_whole_notebook_cell():
    cell = "import math\n\n\ndef helper():\n    return 1\n\n\ndef test_a():\n    assert helper() == 1\n"
    filename = "/tmp/ipykernel_4242/123456.py"  # how ipykernel names a cell
    linecache.cache[filename] = (len(cell), None, cell.splitlines(keepends=True), filename)
    try:
        namespace: dict = {}
        exec(compile(cell, filename, "exec"), namespace)
        source = collect_suite(namespace)
    finally:
        linecache.cache.pop(filename, None)
    assert source.strip() == cell.strip()


def test_collect_suite_outside_jupyter_and_without_tests():
    def test_plain():
        assert True

    assert "def test_plain" in collect_suite({"test_plain": test_plain, "other": 3})
    with pytest.raises(ValueError, match="Geen testfuncties"):
        collect_suite({"helper": len, "test_value": 3})


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(suite="", implementations={"correct": "class DigitsDataset: pass"}),
        dict(suite="def test_a(): pass", implementations={"mutant": "class DigitsDataset: pass"}),
        dict(suite="def test_a(): pass", implementations={"correct": "x = 1"}),
        dict(suite="def test_a(): pass", implementations={"correct": "class DigitsDataset: pass"}, timeout=0),
        dict(suite="def test_a(): pass", implementations={"correct": "class DigitsDataset: pass"}, phase_cpu=-1),
        dict(suite="def test_a(): pass", implementations={"correct": "class DigitsDataset: pass"}, start="thread"),
    ],
)
def test_run_suite_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        run_suite(**kwargs)


def test_forbidden_word_makes_the_suite_red_without_running():
    before = mutation._RUN_COUNT[0]
    report = run_suite(
        "from mlinfra.data import DigitsDataset\n\ndef test_a(dataset_cls):\n    pass\n",
        {"correct": reference_source(), "m": CHANNELS_LAST},
    )
    assert mutation._RUN_COUNT[0] == before
    assert not report.green_on_baseline and not report.caught("m")
    assert "mlinfra" in report.summary()


@pytest.mark.parametrize(
    "suite, hit",
    [
        ("import inspect\n", "inspect"),
        ("def test_a(dataset_cls):\n    assert not vars(dataset_cls)\n", "vars"),
        ("def test_a(dataset_cls):\n    assert dataset_cls.__mro__\n", "__mro__"),
        ("def test_a(dataset_cls):\n    getattr(dataset_cls, '__dict__')\n", "__dict__"),
        ("import sys\nX = sys.modules\n", "modules"),
        ("G = __import__('conftest')\n", "__import__"),
        ("X = 1\nY = f'{vars()}'\n", "vars"),
    ],
)
def test_forbidden_names_finds_the_plain_introspection(suite, hit):
    assert hit in mutation.forbidden_names(suite)


def test_forbidden_names_allows_comments_messages_and_the_usual_dunders():
    suite = (
        "# inspect the batch; do not use mlinfra\n"
        "def test_a(dataset_cls, tiny_digits):\n"
        "    dataset = dataset_cls(tiny_digits.root)\n"
        "    assert len(dataset) == dataset.__len__(), 'inspect the length'\n"
        "    pytest.raises(IndexError, dataset.__getitem__, 99)\n"
    )
    assert mutation.forbidden_names(suite) == []


def test_each_implementation_starts_from_a_fresh_module_and_a_neutral_class():
    """A module-level snapshot of the first version seen must not become an oracle for the next ones."""
    suite = """
SEEN = {}


def test_snapshot(dataset_cls, tiny_digits):
    got = tuple(dataset_cls(tiny_digits.root)[0][0].shape)
    assert got == SEEN.setdefault("shape", got)
    assert dataset_cls.__name__ == "DigitsDataset"
"""
    report = run_suite(suite, {"correct": reference_source(), "channels_last": CHANNELS_LAST})
    assert report.green_on_baseline and not report.caught("channels_last"), report.summary()


def test_report_semantics():
    report = SuiteReport(
        "correct",
        {"correct": ImplResult("correct", 2, 2), "m": ImplResult("m", 2, 1, ("t: x",)), "n": ImplResult("n", 2, 2)},
    )
    assert report.green_on_baseline and report.caught("m") and not report.caught("n")
    assert "n " not in report.summary(names=["correct", "m"])
    red_base = SuiteReport(
        "correct", {"correct": ImplResult("correct", 2, 1, ("t: y",)), "m": ImplResult("m", 2, 1, ("t: x",))}
    )
    assert not red_base.caught("m"), "a suite that fails on the correct code catches nothing"
    assert not ImplResult("x", 0, 0).green, "no test is not green"
    with pytest.raises(KeyError):
        report.caught("unknown")


@pytest.mark.parametrize("start", STARTS)
def test_run_suite_catches_what_the_tests_check_and_caches(start):
    mutation.clear_cache()
    implementations = {"correct": reference_source(), "channels_last": CHANNELS_LAST, "float64": FLOAT64}
    report = run_suite(SHAPE_SUITE, implementations, start=start)
    assert report.green_on_baseline, report.summary()
    assert report.caught("channels_last") and not report.caught("float64"), report.summary()
    assert report.results["correct"].collected == 1
    runs = mutation._RUN_COUNT[0]
    again = run_suite(SHAPE_SUITE, {"correct": reference_source(), "channels_last": CHANNELS_LAST}, start=start)
    assert mutation._RUN_COUNT[0] == runs, "a result already known must not start a new process"
    assert again.caught("channels_last")


@pytest.mark.parametrize("start", STARTS)
def test_import_crash_and_hanging_tests_score_zero_without_raising(start):
    crash = run_suite(
        "import module_that_does_not_exist_q06\n\ndef test_a(dataset_cls):\n    pass\n",
        {"correct": reference_source(), "m": CHANNELS_LAST},
        start=start,
    )
    assert not crash.green_on_baseline and not crash.caught("m")
    assert "kan niet geladen" in (crash.results["correct"].error or "")

    hanging = """
import time


def test_busy(dataset_cls):
    while True:
        pass


def test_sleeps(dataset_cls):
    time.sleep(60)
"""
    began = time.perf_counter()
    report = run_suite(
        hanging, {"correct": reference_source(), "m": CHANNELS_LAST}, phase_timeout=2, phase_cpu=1, start=start
    )
    assert time.perf_counter() - began < 60
    failures = " ".join(report.results["correct"].failed)
    assert failures.count("TimeoutError") == 2, failures  # CPU or wall clock, whichever runs out first
    assert not report.caught("m") and report.results["m"].skipped == 2, "after a red baseline the rest is skipped"


@pytest.mark.parametrize("start", STARTS)
def test_whole_run_timeout_kills_the_process(start):
    began = time.perf_counter()
    report = run_suite(
        "import time\ntime.sleep(120)\n\ndef test_a(dataset_cls):\n    pass\n",
        {"correct": reference_source(), "m": CHANNELS_LAST},
        timeout=8,
        start=start,
    )
    assert time.perf_counter() - began < 30
    assert not report.green_on_baseline and not report.caught("m")
    assert "langer dan 8 s" in (report.results["m"].error or "")


def test_a_suite_that_asserts_nothing_catches_nothing():
    report = run_suite(
        "def test_nothing(dataset_cls, tiny_digits):\n    dataset_cls(tiny_digits.root)\n",
        {"correct": reference_source(), "channels_last": CHANNELS_LAST, "float64": FLOAT64},
    )
    assert report.green_on_baseline
    assert not report.caught("channels_last") and not report.caught("float64")


# --- The forked child ---------------------------------------------------------------------------------------------

fork_only = pytest.mark.skipif(not mutation._can_fork(), reason="no safe fork here")


def _gone(pid: int, within: float = 10.0) -> bool:
    """True once process ``pid`` no longer runs (reaped, or a zombie waiting for init)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@fork_only
def test_forked_child_leaves_the_caller_untouched(capfd, monkeypatch):
    """Output, environment, working folder, random state and signal handlers of the caller survive a run."""
    suite = """
import os
import random
import sys


def test_starts_like_a_fresh_interpreter(dataset_cls):
    assert torch.initial_seed() == torch.Generator().initial_seed(), "the caller's seed leaked into the child"
    assert torch.get_num_threads() == 1
    assert "NBGRADER_EXECUTION" not in os.environ


def test_meddles(dataset_cls, tiny_digits):
    print("to stdout")
    print("to stderr", file=sys.stderr)
    os.write(1, b"to fd 1\\n")
    os.environ["Q06_MEDDLED"] = "1"
    os.chdir("/")
    torch.manual_seed(1234)
    random.seed(1234)
    assert torch.initial_seed() == 1234
"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    torch.manual_seed(0)
    random.seed(0)
    expected = (torch.rand(3), random.random())
    torch.manual_seed(0)
    random.seed(0)
    cwd, handler = os.getcwd(), signal.getsignal(signal.SIGINT)
    report = run_suite(suite, {"correct": reference_source(), "m": CHANNELS_LAST}, start="fork")
    got = (torch.rand(3), random.random())
    assert torch.equal(got[0], expected[0]) and got[1] == expected[1], "the caller's random state changed"
    assert report.green_on_baseline, report.summary()
    assert "4 passed" in report.stdout, "pytest's own output goes to the report (2 tests x 2 implementations)"
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == "", "the child wrote to the caller's stdout/stderr"
    assert "Q06_MEDDLED" not in os.environ and os.getcwd() == cwd
    assert signal.getsignal(signal.SIGINT) is handler


@fork_only
def test_forked_child_that_dies_scores_zero_and_the_caller_lives():
    suite = """
import os
import signal


def test_dies(dataset_cls):
    os.kill(os.getpid(), signal.SIGKILL)
"""
    report = run_suite(suite, {"correct": reference_source(), "m": CHANNELS_LAST}, start="fork")
    assert not report.green_on_baseline and not report.caught("m")
    assert "onverwacht" in (report.results["m"].error or "")


@fork_only
def test_leftover_processes_are_killed_after_the_run(tmp_path):
    """A test that leaves a process behind (a DataLoader worker, a subprocess): it dies with the run."""
    pid_file = tmp_path / "pid"
    suite = f"""
import subprocess


def test_leaves_a_process(dataset_cls):
    proc = subprocess.Popen(["sleep", "300"])
    Path({str(pid_file)!r}).write_text(str(proc.pid))
"""
    report = run_suite(suite, {"correct": reference_source(), "m": CHANNELS_LAST}, start="fork")
    assert report.green_on_baseline, report.summary()
    assert _gone(int(pid_file.read_text())), "the process the suite started outlived the run"


@fork_only
def test_interrupted_run_kills_the_child(tmp_path):
    """An interrupted cell (KeyboardInterrupt while waiting) leaves no child behind."""
    pid_file = tmp_path / "pid"
    suite = f"""
import os
import time


def test_waits(dataset_cls):
    Path({str(pid_file)!r}).write_text(str(os.getpid()))
    time.sleep(60)
"""

    def interrupt(signum, frame):
        if pid_file.exists() and pid_file.read_text():  # the child is inside the test: interrupt the caller now
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2, 0.2)
        with pytest.raises(KeyboardInterrupt):
            run_suite(suite, {"correct": reference_source(), "m": CHANNELS_LAST}, start="fork")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _gone(int(pid_file.read_text())), "the interrupted child still runs"


def test_fork_only_from_the_main_thread():
    seen = []
    worker = threading.Thread(target=lambda: seen.append(mutation._can_fork()))
    worker.start()
    worker.join()
    assert seen == [False]
    assert mutation._can_fork() == sys.platform.startswith("linux")
