"""Shared fixtures. Each question's grading round trip runs once per test session, whatever the number of workers.

The controller process makes one shared folder (``MLINFRA_TEST_SHARED``) before pytest-xdist starts its workers;
the first test that needs a question's round trip runs it under a file lock and writes the result there, every
other test (on any worker) reads it — the pattern pytest-xdist documents for session fixtures. Every run is
logged, and the terminal summary prints the count per question.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from filelock import FileLock

from mlinfra.course import roundtrip as rt
from mlinfra.course.registry import registry

REG = registry(Path(__file__).resolve().parents[1])
SHARED_ENV = "MLINFRA_TEST_SHARED"
RUN_LOG = "nbgrader-roundtrips.log"


def _shared() -> Path:
    return Path(os.environ[SHARED_ENV])


def pytest_configure(config):
    if not hasattr(config, "workerinput") and SHARED_ENV not in os.environ:
        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix="mlinfra-tests-")
        config._mlinfra_shared_owner = True


def pytest_sessionfinish(session, exitstatus):
    session.config._mlinfra_exitstatus = exitstatus


def pytest_unconfigure(config):
    # Course folders are kept for inspection when something failed, removed otherwise.
    if getattr(config, "_mlinfra_shared_owner", False) and getattr(config, "_mlinfra_exitstatus", 1) == 0:
        shutil.rmtree(_shared(), ignore_errors=True)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    log = _shared() / RUN_LOG
    if not getattr(config, "_mlinfra_shared_owner", False) or not log.exists():
        return
    runs: dict[str, list[str]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        slug, seconds = line.split()[:2]
        runs.setdefault(slug, []).append(seconds)
    summary = ", ".join(f"{slug} x{len(s)} ({'+'.join(s)} s)" for slug, s in sorted(runs.items()))
    terminalreporter.write_line(f"nbgrader autograde round trips this session: {summary}")
    for result in sorted(_shared().glob("roundtrip-*.json")):
        trip = rt.RoundTrip.load(result)
        terminalreporter.write_line(f"  {trip.slug}: {trip.timing()}")
    if any(len(s) > 1 for s in runs.values()):
        terminalreporter.write_line("WARNING: a question's round trip ran more than once", red=True)
    if exitstatus:
        terminalreporter.write_line(f"course folders kept for inspection in {_shared()}")


def pytest_collection_modifyitems(items):
    # The round trips are the longest work: start them first (same order on every worker).
    items.sort(key=lambda item: 0 if _roundtrip_scope(item.nodeid) else 1)


def _roundtrip_scope(nodeid: str) -> str | None:
    """The question whose round trip a test of test_grading.py reads, from its node id."""
    m = re.search(r"test_grading\.py::\w+\[(q\d\d_[a-z0-9_]+)", nodeid)
    return m.group(1) if m else None


def pytest_xdist_make_scheduler(config, log):
    """Send all tests of one question's round trip to the same worker, spread everything else.

    (pytest-xdist's ``--dist loadgroup`` would do this, but its ``xdist_group`` marks have no effect on pytest 9:
    xdist renames ``item._nodeid``, which pytest 9 no longer reads. The file lock above keeps the round trip
    single either way; this only keeps a second worker from waiting on it.)
    """
    from xdist.scheduler import LoadScopeScheduling

    class QuestionScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/test_browser.py::"):
                return "browser"  # one JupyterLab and one Chromium for the whole browser suite
            return _roundtrip_scope(nodeid) or nodeid

    return QuestionScheduling(config, log)


@pytest.fixture(params=REG.slugs)
def slug(request) -> str:
    return request.param


@pytest.fixture
def question(slug):
    return REG.question(slug)


@pytest.fixture(scope="session")
def fork_kernels():
    """One fork server per test worker for every grading run (round trips, Validate): ``env()`` routes kernels."""
    from mlinfra.course import forkkernel
    from mlinfra.course.classroom import SHARED_FORK_SPECS
    from mlinfra.course.nbgrader_cli import nbgrader_env

    with forkkernel.ForkServer(env=nbgrader_env()) as server:
        os.environ[forkkernel.ENV_VAR] = server.env()[forkkernel.ENV_VAR]  # Classroom.autograde reuses it
        os.environ[SHARED_FORK_SPECS] = str(server.jupyter_path)
        try:
            yield server
        finally:
            os.environ.pop(forkkernel.ENV_VAR, None)
            os.environ.pop(SHARED_FORK_SPECS, None)


@pytest.fixture
def roundtrip(question, fork_kernels) -> rt.RoundTrip:
    """The question's round trip: run by the first test that asks (under a lock), read by all others."""
    shared = _shared()
    result, failure = shared / f"roundtrip-{question.slug}.json", shared / f"roundtrip-{question.slug}.error"
    with FileLock(str(shared / f"roundtrip-{question.slug}.lock")):
        if failure.exists():
            pytest.fail(
                f"the round trip of {question.slug} failed earlier in this session:\n"
                f"{failure.read_text(encoding='utf-8')}"
            )
        if not result.exists():
            log = shared / RUN_LOG
            ran = log.read_text(encoding="utf-8").split() if log.exists() else []
            assert question.slug not in ran, f"{question.slug}: round trip would run a second time"
            try:
                trip = rt.run(question, shared / f"course-{question.slug}")
            except Exception as exc:
                failure.write_text(str(exc)[-8000:], encoding="utf-8")
                raise
            trip.save(result)
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{question.slug} {trip.seconds}\n")
        return rt.RoundTrip.load(result)
