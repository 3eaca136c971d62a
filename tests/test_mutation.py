"""Unit tests for mlinfra.mutation: the tiny digits fixture, collecting a suite, and grading a suite by mutation."""

from __future__ import annotations

import csv
import linecache
import time

import pytest

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
SHAPE_SUITE = """
def test_shape(dataset_cls, tiny_digits):
    image, label = dataset_cls(tiny_digits.root)[0]
    assert image.shape == (1, 8, 8)
    assert label == tiny_digits.labels[0]
"""


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


def test_run_suite_catches_what_the_tests_check_and_caches():
    mutation.clear_cache()
    implementations = {"correct": reference_source(), "channels_last": CHANNELS_LAST, "float64": FLOAT64}
    report = run_suite(SHAPE_SUITE, implementations)
    assert report.green_on_baseline, report.summary()
    assert report.caught("channels_last") and not report.caught("float64"), report.summary()
    assert report.results["correct"].collected == 1
    runs = mutation._RUN_COUNT[0]
    again = run_suite(SHAPE_SUITE, {"correct": reference_source(), "channels_last": CHANNELS_LAST})
    assert mutation._RUN_COUNT[0] == runs, "a result already known must not start a new process"
    assert again.caught("channels_last")


def test_import_crash_and_hanging_tests_score_zero_without_raising():
    crash = run_suite(
        "import module_that_does_not_exist_q06\n\ndef test_a(dataset_cls):\n    pass\n",
        {"correct": reference_source(), "m": CHANNELS_LAST},
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
    start = time.perf_counter()
    report = run_suite(hanging, {"correct": reference_source(), "m": CHANNELS_LAST}, phase_timeout=2, phase_cpu=1)
    assert time.perf_counter() - start < 60
    failures = " ".join(report.results["correct"].failed)
    assert failures.count("TimeoutError") == 2, failures  # CPU or wall clock, whichever runs out first
    assert not report.caught("m") and report.results["m"].skipped == 2, "after a red baseline the rest is skipped"


def test_whole_run_timeout_kills_the_process():
    start = time.perf_counter()
    report = run_suite(
        "import time\ntime.sleep(120)\n\ndef test_a(dataset_cls):\n    pass\n",
        {"correct": reference_source(), "m": CHANNELS_LAST},
        timeout=8,
    )
    assert time.perf_counter() - start < 30
    assert not report.green_on_baseline and not report.caught("m")
    assert "langer dan 8 s" in (report.results["m"].error or "")
