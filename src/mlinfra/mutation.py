"""Grade a pytest suite by mutation: run it against a correct implementation and against faulty ones.

A *suite* is the source text of a pytest file whose tests receive the implementation under test through the fixture
``dataset_cls`` (a ``DigitsDataset``-like class) and a fresh tiny copy of the shipped digits through ``tiny_digits``.
An *implementation* is the source text of a module that defines ``class DigitsDataset``.

:func:`run_suite` runs the suite against all implementations in ONE ``pytest`` run, in a child process so that nothing
the suite does can break the caller. On Linux the child is a ``fork`` of the calling process (a notebook kernel that
has already imported torch): it runs ``pytest.main`` in-process and needs no ``import torch`` of its own, which a
fresh ``python -m pytest`` pays on every run (4-5 s on a small machine). Elsewhere, or with ``start="subprocess"``,
it is a fresh interpreter. Either way, with

- a wall-clock and a CPU-time limit per test phase (``SIGALRM``/``SIGPROF``, POSIX) and one for the whole run (the
  child's process group is killed, DataLoader workers included);
- implementations under random module names, in a shuffled order after the baseline, each behind the same facade
  class (same name, module, attributes) and with its source file deleted once imported, so a test cannot tell which
  one it is looking at from a name, a position or the code;
- the tests of each implementation in a fork of the pytest process made right after collection, so whatever a suite
  keeps between tests (a module-level cache, a "golden" snapshot, a patched library) lasts for one implementation
  only: a snapshot of the first version seen compares each version with itself;
- a static check first (:func:`forbidden_names`): a suite that names the reference code, the generated conftest or
  the plain introspection tools (``inspect``, ``vars``, ``__mro__``, ``sys.modules``, ...) is not run at all;
- nothing on the caller's stdout/stderr: pytest's output is captured and summarised in the :class:`SuiteReport`;
- the run's files (and every test's ``tmp_path``) on the RAM disk ``/dev/shm`` when it has room, since a suite
  builds a fresh folder of 13 files for nearly every test;
- a per-process cache keyed by the SHA-256 of (suite, baseline, implementation), so graded notebook cells that ask
  again for a result they share with an earlier cell do not start a new process, while a changed suite or a changed
  implementation is always run afresh. Results live only in this process's memory.

The baseline (the correct implementation) runs first. If any test fails on it, the suite is not trustworthy: the other
implementations are skipped and none counts as caught. On a mutant, the tests after its first failure are skipped
(the verdict "caught" cannot change), which halves the cost of a good suite. A mutant is *caught* when the suite is
green on the baseline and at least one test fails (or errors, or times out) on the mutant.

The forked child starts from the caller's state, made neutral first: its own session and process group, stdin from
``/dev/null``, stdout and stderr to a log file (never the kernel's streams or sockets), default signal handlers, one
torch thread, random generators seeded as in a fresh interpreter, and ``os._exit`` at the end, so no ``atexit`` handler
or buffered output of the caller runs twice. It only forks from the main thread.

Threat model: a careless suite (crashes on import, hangs, asserts nothing, fails on the correct code, keeps state
between tests) scores what it deserves without breaking the caller, and the plainly written tricks (introspecting the
class, reading its source, the reference as an oracle, writing the grader's results through its conftest) are refused
by the static check or find nothing. Deliberate, obfuscated forgery from inside the kernel or the test process
(names built from strings, ``exec``, files left at a fixed path for a later fork) cannot be prevented by any
in-notebook grader; it stays visible in the submitted test code.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import linecache
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: Imports every suite may rely on without writing them (the notebook's setup cell has the same ones).
SUITE_HEADER = """\
import csv
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader
"""

#: The rows of the tiny data set: positions in the shipped ``labels.csv`` (0000.png..0011.png: the digits 0..9, then
#: 0 and 1 again), deliberately NOT in file-name order, so "row i is the i-th file of the folder" is visibly wrong.
TINY_ROWS: tuple[int, ...] = (7, 2, 10, 0, 5, 9, 11, 3, 1, 8, 4, 6)


@dataclass(frozen=True)
class TinyDigits:
    """A tiny digits folder: ``root/images/*.png`` and ``root/labels.csv``; row ``i`` is (filenames[i], labels[i])."""

    root: Path
    filenames: tuple[str, ...]
    labels: tuple[int, ...]


@functools.lru_cache(maxsize=2)
def _shipped_rows(csv_path: str) -> tuple[tuple[str, str], ...]:
    with open(csv_path, newline="", encoding="utf-8") as f:
        return tuple(tuple(row) for row in list(csv.reader(f))[1:])


@functools.lru_cache(maxsize=64)
def _shipped_bytes(path: str) -> bytes:
    """One shipped PNG, read once per process: a suite builds a fresh tiny folder for nearly every test."""
    with open(path, "rb") as f:
        return f.read()


def make_tiny_digits(dest: str | Path, indices: tuple[int, ...] = TINY_ROWS) -> TinyDigits:
    """Copy a few shipped digit PNGs into ``dest/images`` and write ``dest/labels.csv`` with rows in that order.

    ``indices`` are positions in the shipped ``labels.csv`` (0..1796), each at most once.
    """
    from mlinfra.data import digits_root

    dest = Path(dest)
    src = digits_root()
    shipped = _shipped_rows(str(src / "labels.csv"))
    if (
        not isinstance(indices, (tuple, list))
        or not indices
        or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(shipped) for i in indices)
    ):
        raise ValueError(
            f"indices moet een niet-lege rij posities 0..{len(shipped) - 1} in de meegeleverde "
            f"labels.csv zijn, niet {indices!r}"
        )
    if len(set(indices)) != len(indices):
        raise ValueError("indices bevat dubbele posities; elke afbeelding mag maar één keer voorkomen")
    (dest / "images").mkdir(parents=True, exist_ok=True)
    filenames, labels = [], []
    for position in indices:
        name, label = shipped[position]
        with open(dest / "images" / name, "wb") as f:  # a copy, never a link: tests may break their files
            f.write(_shipped_bytes(str(src / "images" / name)))
        filenames.append(name)
        labels.append(int(label))
    with open(dest / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["filename", "label"])
        writer.writerows(zip(filenames, labels))
    return TinyDigits(dest, tuple(filenames), tuple(labels))


# --- Implementations ----------------------------------------------------------------------------------------------

#: First lines of every implementation module: mutants subclass the correct data set and change one thing.
IMPL_HEADER = "from pathlib import Path\n\nimport torch\n\nfrom mlinfra.data import DigitsDataset as Reference\n\n\n"


def reference_source() -> str:
    """Module source of the baseline: :class:`mlinfra.data.DigitsDataset` itself, under a neutral subclass."""
    return IMPL_HEADER + 'class DigitsDataset(Reference):\n    """The data set under test."""\n'


# --- Collecting a suite from notebook cells -------------------------------------------------------------------------


def collect_suite(namespace: Mapping[str, object], prefix: str = "test_") -> str:
    """The source of the notebook cell(s) that define the tests (``test_*`` functions, ``Test*`` classes).

    In Jupyter every cell is compiled under its own file name and kept in ``linecache``, so the whole cell comes back:
    imports, helpers and fixtures defined next to the tests included. Outside Jupyter each test's own source is used.
    Cells appear in the order their first test was defined.
    """
    import inspect

    sources: dict[str, str] = {}
    for name, obj in list(namespace.items()):
        if name.startswith(prefix) and callable(obj) and hasattr(obj, "__code__"):
            codes = [obj.__code__]
        elif name.startswith("Test") and inspect.isclass(obj):
            codes = [f.__code__ for f in vars(obj).values() if hasattr(f, "__code__")]
        else:
            continue
        for code in codes[:1]:
            filename = code.co_filename
            if filename in sources:
                continue
            if "ipykernel_" in filename or filename.startswith("<ipython-input"):
                sources[filename] = "".join(linecache.getlines(filename))
            else:
                try:
                    sources[f"{filename}:{name}"] = inspect.getsource(obj)
                except (OSError, TypeError):
                    continue
    text = "\n\n".join(s.strip("\n") for s in sources.values() if s.strip())
    if not text:
        raise ValueError(
            f"Geen testfuncties gevonden: definieer in de oefencel functies waarvan de naam met "
            f"{prefix!r} begint (en voer die cel uit)."
        )
    return text + "\n"


# --- What a suite may not use ----------------------------------------------------------------------------------------

#: Names a suite may not use (as a name, or in a string): the reference code as an oracle, the grader's own conftest,
#: and the plain ways to look inside the class under test instead of testing its behaviour.
FORBIDDEN_NAMES: tuple[str, ...] = (
    "mlinfra",
    "conftest",
    "inspect",
    "dis",
    "gc",
    "importlib",
    "vars",
    "modules",
    "mro",
    "get_type_hints",
)
#: The only dunder names (``__...__``) a suite may use; all others (``__dict__``, ``__mro__``, ``__code__``, ...) open
#: the implementation up instead of testing it.
ALLOWED_DUNDERS = frozenset({"__init__", "__getitem__", "__len__", "__iter__", "__name__", "__main__", "__future__"})
_DUNDER = re.compile(r"__\w+__")


def forbidden_names(suite: str, forbidden: tuple[str, ...] = FORBIDDEN_NAMES) -> list[str]:
    """The forbidden names ``suite`` uses, in order: a name, a dunder outside :data:`ALLOWED_DUNDERS`, or in a string.

    Comments do not count. In a plain string only dunders and ``mlinfra``/``conftest`` count (a message may say
    "inspect"); in an f-string every forbidden name does. Source that does not tokenize is searched as plain text.
    """
    import io
    import tokenize

    def bad(word: str, strict: bool) -> bool:
        if _DUNDER.fullmatch(word):
            return word not in ALLOWED_DUNDERS
        return word in forbidden and (strict or word in ("mlinfra", "conftest"))

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(suite).readline))
    except (tokenize.TokenError, SyntaxError):
        return [word for word in forbidden if word in suite]
    hits: list[str] = []
    for tok in tokens:
        if tok.type == tokenize.NAME:
            words, strict = [tok.string], True
        elif tok.type == tokenize.STRING:
            prefix = tok.string[: len(tok.string) - len(tok.string.lstrip("rRbBuUfF"))]
            words, strict = re.findall(r"\w+", tok.string), "f" in prefix.lower()
        else:
            continue
        hits += [word for word in words if bad(word, strict) and word not in hits]
    return hits


# --- Results ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImplResult:
    """What the suite did on one implementation."""

    name: str
    collected: int = 0
    passed: int = 0
    failed: tuple[str, ...] = ()  # "test name: first line of the failure", one per failing test
    skipped: int = 0
    error: str | None = None  # collection error, time-out of the whole run, forbidden text, ...

    @property
    def green(self) -> bool:
        """Every test ran and passed (at least one test ran)."""
        return self.error is None and not self.failed and self.passed > 0

    @property
    def red(self) -> bool:
        """At least one test failed or errored on this implementation."""
        return bool(self.failed)


@dataclass
class SuiteReport:
    """The results of one suite on a baseline and its mutants (see :func:`run_suite`)."""

    baseline: str
    results: dict[str, ImplResult] = field(default_factory=dict)
    stdout: str = ""

    @property
    def green_on_baseline(self) -> bool:
        return self.results[self.baseline].green

    def caught(self, name: str) -> bool:
        """True when the suite is green on the baseline and at least one test fails on implementation ``name``."""
        if name not in self.results:
            raise KeyError(f"onbekende implementatie {name!r}; bekend: {sorted(self.results)}")
        if name == self.baseline:
            raise ValueError("de baseline kan niet 'gevangen' worden; vraag green_on_baseline")
        return self.green_on_baseline and self.results[name].red

    def summary(self, names: list[str] | None = None) -> str:
        """A small table for students: per implementation passed/failed and whether it was caught.

        ``names`` limits the table to those implementations (e.g. to keep hidden mutants out of a student's view).
        """
        lines = [f"{'implementatie':<28}{'geslaagd':>9}{'gefaald':>9}  oordeel"]
        for name, r in self.results.items():
            if names is not None and name not in names:
                continue
            if name == self.baseline:
                verdict = "groen: goed" if r.green else "NIET groen: je tests keuren de correcte code af"
            else:
                verdict = "gevangen" if self.caught(name) else "niet gevangen"
            if r.error:
                verdict += f" ({r.error})"
            lines.append(f"{name:<28}{r.passed:>9}{len(r.failed):>9}  {verdict}")
        base = self.results[self.baseline]
        for failure in base.failed[:8]:
            lines.append(f"  faalt op de correcte code: {failure}")
        return "\n".join(lines)


# --- Running ------------------------------------------------------------------------------------------------------

_CACHE: dict[tuple[str, str, str], ImplResult] = {}
_RUN_COUNT = [0]  # subprocesses started by this process (for tests and for the curious)

_CONFTEST = r'''
"""Generated by mlinfra.mutation: fixtures for the suite and a reporter that writes one JSON line per test phase.

PYTEST_DONT_REWRITE: no assertion rewriting for this file (it asserts nothing; rewriting costs every child time).
"""
import importlib
import json
import os
import signal
from pathlib import Path

import pytest

from mlinfra.mutation import make_tiny_digits

_HERE = Path(__file__).resolve().parent
_SPEC = json.loads((_HERE / "run.json").read_text(encoding="utf-8"))
(_HERE / "run.json").unlink()
_IMPLS = _SPEC["impls"]  # module names, the baseline first
_BASELINE = _IMPLS[0]
_PHASE_WALL = float(_SPEC["phase_wall"])  # seconds of wall-clock time per test phase (setup, call)
_PHASE_CPU = float(_SPEC["phase_cpu"])  # seconds of CPU time per test phase: a busy loop, even on a loaded machine
_OUT = open(_HERE / _SPEC["results"], "a", encoding="utf-8")
_ITEM_IMPL = {}
_STATE = {"baseline_failed": False, "failed_here": False}
del _SPEC
# Import the implementation now and delete its file: a test cannot read the code it is testing.
_CLASSES = {name: importlib.import_module(name).DigitsDataset for name in _IMPLS}
for _name in _IMPLS:
    (_HERE / f"{_name}.py").unlink()


def _emit(record):
    _OUT.write(json.dumps(record) + "\n")
    _OUT.flush()


@pytest.fixture(scope="module", params=_IMPLS)
def dataset_cls(request):
    """The DigitsDataset implementation under test, behind a subclass that looks the same for every implementation."""
    return type("DigitsDataset", (_CLASSES[request.param],),
                {"__module__": "dataset_under_test", "__qualname__": "DigitsDataset",
                 "__doc__": "The data set under test."})


@pytest.fixture
def tiny_digits(tmp_path):
    """A fresh folder with 12 shipped digits; labels.csv rows are not in file-name order."""
    return make_tiny_digits(tmp_path / "digits")


def pytest_collection_modifyitems(session, config, items):
    order = {name: i for i, name in enumerate(_IMPLS)}
    for item in items:
        callspec = getattr(item, "callspec", None)
        _ITEM_IMPL[item.nodeid] = callspec.params.get("dataset_cls") if callspec else None
    items.sort(key=lambda it: order.get(_ITEM_IMPL[it.nodeid], -1))
    for item in items:
        _emit({"collected": item.nodeid, "impl": _ITEM_IMPL[item.nodeid],
               "test": item.originalname if hasattr(item, "originalname") else item.name})


def pytest_collectreport(report):
    if report.failed:
        _emit({"collect_error": str(report.longrepr)[-1500:]})


@pytest.fixture(autouse=True)
def _skip_what_cannot_change_the_verdict(request):
    impl = _ITEM_IMPL.get(request.node.nodeid)
    if impl not in (None, _BASELINE):
        if _STATE["baseline_failed"]:
            pytest.skip("overgeslagen: de suite faalt al op de correcte implementatie")
        if _STATE["failed_here"]:
            pytest.skip("overgeslagen: deze versie is al gevangen")


def _on_timer(signum, frame):
    kind = "rekentijd (CPU)" if signum == getattr(signal, "SIGPROF", None) else "tijd"
    raise TimeoutError(f"deze test gebruikte meer dan de toegestane {kind}")


def _arm():
    if hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, _on_timer)
        signal.signal(signal.SIGPROF, _on_timer)
        signal.setitimer(signal.ITIMER_REAL, _PHASE_WALL)
        signal.setitimer(signal.ITIMER_PROF, _PHASE_CPU)


def _disarm():
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    _arm()
    try:
        yield
    finally:
        _disarm()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _arm()
    try:
        yield
    finally:
        _disarm()


def _warm_up():
    """Read one image with the reference once before any test: lazy imports (PIL plugins) then cost no test time."""
    import tempfile

    from torch.utils.data import DataLoader

    from mlinfra.data import DigitsDataset

    try:
        with tempfile.TemporaryDirectory() as folder:
            tiny = make_tiny_digits(Path(folder), (0, 1))
            next(iter(DataLoader(DigitsDataset(tiny.root), batch_size=2)))  # what every fork would do again
    except Exception:  # the tests themselves will show what is wrong
        pass


_warm_up()


def pytest_runtest_logreport(report):
    impl = _ITEM_IMPL.get(report.nodeid)
    message = ""
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr)
        message = message.strip().splitlines()[0][:300] if message.strip() else "fout"
        _STATE["failed_here"] = True
    _emit({"nodeid": report.nodeid, "impl": impl, "when": report.when, "outcome": report.outcome,
           "message": message})


def pytest_runtestloop(session):
    """Run the tests of each implementation in a fork of this process, one after the other, the baseline first.

    Every implementation starts from the state right after collection: whatever a suite keeps between tests (a
    module-level cache, a snapshot, a patched library) lives only as long as the tests of one implementation.
    """
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(f"{session.testsfailed} error(s) during collection")
    if session.config.option.collectonly:
        return True
    session.config._tmp_path_factory.getbasetemp()  # made (and emptied) once here, not in every fork
    groups = {}
    for item in session.items:
        groups.setdefault(_ITEM_IMPL[item.nodeid], []).append(item)
    for impl in [name for name in (None, *_IMPLS) if name in groups]:
        items = groups[impl]
        pid = os.fork() if hasattr(os, "fork") else None
        if pid == 0 or pid is None:
            code = 3
            try:
                for i, item in enumerate(items):
                    item.config.hook.pytest_runtest_protocol(item=item, nextitem=items[i + 1] if i + 1 < len(items)
                                                             else None)
                code = 1 if _STATE["failed_here"] else 0
            finally:
                if pid == 0:  # the fork ends here, whatever happened
                    _OUT.flush()
                    os._exit(code)
            status = code
        else:
            status = os.waitpid(pid, 0)[1]
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) not in (0, 1):
                _emit({"died": impl, "status": status})
        _STATE["failed_here"] = False
        if impl in (None, _BASELINE) and status != 0:
            _STATE["baseline_failed"] = True
    return True


def pytest_terminal_summary(terminalreporter):
    """The forks' outcomes (pytest's own summary line counts only this process, which ran no test itself)."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for line in Path(_OUT.name).read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("outcome") == "failed" or (rec.get("outcome") in counts and rec.get("when") == "call"):
            counts[rec["outcome"]] += 1
        elif rec.get("outcome") == "skipped":
            counts["skipped"] += 1
    terminalreporter.write_line(", ".join(f"{n} {k}" for k, n in counts.items()) + " (all implementations)")


def pytest_sessionfinish(session, exitstatus):
    _emit({"done": True})
'''


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_suite(
    suite: str,
    implementations: Mapping[str, str],
    *,
    baseline: str = "correct",
    timeout: float = 90.0,
    phase_timeout: float = 30.0,
    phase_cpu: float = 5.0,
    forbidden: tuple[str, ...] = FORBIDDEN_NAMES,
    header: str = SUITE_HEADER,
    start: str = "auto",
) -> SuiteReport:
    """Run the pytest ``suite`` (source text) against every implementation (name → module source).

    ``implementations[baseline]`` is the correct one. ``timeout`` bounds the whole run (wall clock), ``phase_timeout``
    (wall clock) and ``phase_cpu`` (CPU time, robust to a loaded machine) one test's setup or call. A suite
    that uses a forbidden name (see :func:`forbidden_names`; by default :data:`FORBIDDEN_NAMES`: a suite may not use
    the reference code as its oracle, nor look inside the class it tests) is not run and is red on every
    implementation. ``start`` is ``"fork"``, ``"subprocess"`` or ``"auto"``
    (fork where it is safe: Linux, called from the main thread).
    """
    if not isinstance(suite, str) or not suite.strip():
        raise ValueError("suite moet de broncode van een pytest-bestand zijn (een niet-lege str)")
    if not isinstance(implementations, Mapping) or baseline not in implementations:
        raise ValueError(f"implementations moet een dict naam → broncode zijn, met de baseline {baseline!r} erin")
    for name, source in implementations.items():
        if not isinstance(name, str) or not isinstance(source, str) or "class DigitsDataset" not in source:
            raise ValueError(f"implementatie {name!r} moet broncode met 'class DigitsDataset' zijn")
    for label, value in (("timeout", timeout), ("phase_timeout", phase_timeout), ("phase_cpu", phase_cpu)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{label} moet een positief aantal seconden zijn, niet {value!r}")
    if start not in ("auto", "fork", "subprocess"):
        raise ValueError(f"start moet 'auto', 'fork' of 'subprocess' zijn, niet {start!r}")
    if start == "auto":
        start = "fork" if _can_fork() else "subprocess"

    suite_key = _sha(f"{header}\n{suite}\n{forbidden}\n{phase_timeout}\n{phase_cpu}")
    base_key = _sha(implementations[baseline])
    keys = {name: (suite_key, base_key, _sha(source)) for name, source in implementations.items()}
    report = SuiteReport(baseline=baseline)

    hits = forbidden_names(suite, forbidden)
    if hits:
        reason = f"je tests gebruiken {hits[0]!r}; test alleen het gedrag, via dataset_cls en tiny_digits (spelregels)"
        report.results = {name: ImplResult(name, failed=(reason,), error=reason) for name in implementations}
        return report

    todo = [name for name in implementations if keys[name] not in _CACHE]
    if todo:
        if baseline not in todo:  # the baseline always runs along: it decides whether the others are skipped
            todo.insert(0, baseline)
        fresh, report.stdout = _run_once(
            header + "\n" + suite,
            {n: implementations[n] for n in todo},
            baseline,
            timeout,
            phase_timeout,
            phase_cpu,
            start,
        )
        for name, result in fresh.items():
            _CACHE[keys[name]] = result
    report.results = {name: _CACHE[keys[name]] for name in [baseline, *[n for n in implementations if n != baseline]]}
    return report


def _run_once(
    test_file: str,
    implementations: dict[str, str],
    baseline: str,
    timeout: float,
    phase_timeout: float,
    phase_cpu: float,
    start: str = "subprocess",
) -> tuple[dict[str, ImplResult], str]:
    """One pytest run over all ``implementations`` in a child process (``start``: "fork" or "subprocess").

    Inside it, the tests of each implementation run in a fork of their own (see ``pytest_runtestloop`` in the
    generated conftest). Returns name -> result and pytest's (captured) output.
    """
    rng = random.Random(secrets.randbits(64))
    modules = {name: f"impl_{secrets.token_hex(4)}" for name in implementations}
    order = [baseline] + rng.sample([n for n in implementations if n != baseline], len(implementations) - 1)
    records, stdout, timed_out = _run_child(
        test_file, {modules[n]: implementations[n] for n in order}, timeout, phase_timeout, phase_cpu, start
    )
    _RUN_COUNT[0] += 1
    by_module = {module: name for name, module in modules.items()}
    return _tally(records, by_module, implementations, baseline, timed_out, timeout, stdout), stdout


def _run_child(
    test_file: str,
    sources: dict[str, str],
    timeout: float,
    phase_timeout: float,
    phase_cpu: float,
    start: str,
) -> tuple[list[dict], str, bool]:
    """One pytest run of ``test_file`` on ``sources`` (module name -> source, the baseline first), in a folder of
    its own; returns (records, output, timed out)."""
    results_name = f"results_{secrets.token_hex(6)}.jsonl"
    run_dir = Path(tempfile.mkdtemp(prefix="mutation-", dir=_scratch_dir()))
    try:
        for module, source in sources.items():
            (run_dir / f"{module}.py").write_text(source, encoding="utf-8")
        (run_dir / "run.json").write_text(
            json.dumps(
                {
                    "impls": list(sources),
                    "phase_wall": phase_timeout,
                    "phase_cpu": phase_cpu,
                    "results": results_name,
                }
            ),
            encoding="utf-8",
        )
        (run_dir / "conftest.py").write_text(_CONFTEST, encoding="utf-8")
        (run_dir / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
        (run_dir / "test_suite.py").write_text(test_file, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NBGRADER"))}
        env.update(
            PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
            PYTHONDONTWRITEBYTECODE="1",
            CUDA_VISIBLE_DEVICES="",
            OMP_NUM_THREADS="1",
            PYTHONWARNINGS="ignore",
        )
        args = [
            "-q",
            "--tb=line",  # the reports keep only each failure's first line; full tracebacks cost ~20 ms each
            "--color=no",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--basetemp",
            str(run_dir / "tmp"),
            "test_suite.py",
        ]
        forked = _run_forked(args, run_dir, env, timeout) if start == "fork" else None
        if forked is None:  # asked for a subprocess, or the system refused to fork
            forked = _run_with_timeout([sys.executable, "-m", "pytest", *args], run_dir, env, timeout)
        stdout, timed_out = forked
        records = _read_records(run_dir / results_name)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return records, stdout, timed_out


#: Free space a RAM-backed folder must have before a run uses it (Docker gives /dev/shm 64 MB by default).
_SHM_MIN_FREE = 48 * 1024 * 1024


def _scratch_dir() -> str | None:
    """Where a run's files go: ``/dev/shm`` when it is a writable RAM disk with room, else the system temp folder.

    A suite builds a fresh folder of 13 files for nearly every test; on a RAM disk that costs ~0.05 ms of CPU per file
    instead of ~0.7 ms on a loaded disk (measured: 1,300 files per run for the notebook's reference suite).
    """
    shm = "/dev/shm"
    try:
        stat = os.statvfs(shm)
    except (OSError, AttributeError):
        return None
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) and stat.f_bavail * stat.f_frsize >= _SHM_MIN_FREE:
        return shm
    return None


def _run_with_timeout(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[str, bool]:
    """Run ``cmd`` with all output captured; on time-out kill its whole process group (DataLoader workers too)."""
    posix = os.name == "posix"
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=posix,
    )

    def kill() -> None:
        if posix:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        else:
            proc.kill()

    try:
        out, _ = proc.communicate(timeout=timeout)
        return out, False
    except subprocess.TimeoutExpired:
        kill()
        out, _ = proc.communicate()
        return out, True
    except BaseException:  # an interrupted cell (KeyboardInterrupt): leave no process behind
        kill()
        proc.wait()
        raise


def _can_fork() -> bool:
    """Fork only where it is known to be safe: Linux (macOS frameworks are not fork-safe), from the main thread."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and hasattr(os, "waitid")
        and threading.current_thread() is threading.main_thread()
    )


@functools.lru_cache(maxsize=1)
def _preload_pytest() -> None:
    """Import pytest and its built-in plugins once in the caller: every forked child then starts ~0.1 s sooner."""
    import importlib
    import pdb  # noqa: F401  (pytest's debugging plugin imports it)

    import PIL.PngImagePlugin  # noqa: F401  (every suite reads PNG files)
    import pytest  # noqa: F401
    from _pytest.config import default_plugins

    for name in default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except ImportError:  # a plugin this pytest version does not have, or one that needs something missing
            pass


def _run_forked(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[str, bool] | None:
    """Run ``pytest.main(args)`` in a forked child; on time-out kill the child's whole process group.

    Returns the child's captured output and whether it timed out, or None when the system refuses to fork. The
    caller's state is never touched: the child talks to it only through files in ``cwd``.
    """
    _preload_pytest()  # before the fork, so that no child pays for it

    log = cwd / "pytest.log"
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: never returns into the caller's code
        code = 70
        try:
            code = _forked_child(args, cwd, env, log)
        except BaseException:  # noqa: BLE001 - whatever happens, the child ends here
            code = 71
        finally:
            os._exit(code)
    timed_out = False
    try:
        deadline = time.monotonic() + timeout
        pause = 0.002
        # WNOWAIT: notice the exit without reaping, so the group id stays reserved until its leftovers are killed
        while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.monotonic() >= deadline:
                timed_out = True
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
    finally:  # also on an interrupted cell: the child and every process it started die with it
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        os.waitpid(pid, 0)
    return (log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""), timed_out


def _forked_child(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> int:
    """Inside the forked child: isolate from the caller (see the module docstring), then run pytest in-process."""
    import gc
    import io
    import random
    import warnings

    gc.freeze()  # the caller's objects: never collected here, so no finalizer of the caller runs in the child
    os.setsid()  # own session and process group: one killpg ends the child and its DataLoader workers
    signal.set_wakeup_fd(-1)  # the caller's event loop must not hear this child's timer signals
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(null)
    os.close(out)
    # the caller's streams (a kernel's OutStream talks to sockets) stay referenced, so none is closed here
    callers_streams = (sys.stdin, sys.stdout, sys.stderr)  # noqa: F841
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="replace")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace")
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = ["pytest", *args]
    sys.dont_write_bytecode = True  # as PYTHONDONTWRITEBYTECODE=1 does for a subprocess
    warnings.resetwarnings()
    warnings.simplefilter("ignore")
    for name in ("conftest", "test_suite"):  # the run's own modules, should the caller ever have used these names
        sys.modules.pop(name, None)
    # random state as in a fresh interpreter: whatever the caller seeded must not decide a test's outcome
    random.seed()
    if "numpy.random" in sys.modules:  # (numpy.random imports lazily: a child that needs it gets a fresh seed)
        sys.modules["numpy.random"].seed()
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(1)  # as OMP_NUM_THREADS=1 does for a subprocess; no OpenMP pool across the fork
        torch.manual_seed(torch.Generator().initial_seed())
    import pytest

    code = int(pytest.main(args))
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut off by a kill
    return records


def _tally(
    records: list[dict],
    by_module: dict[str, str],
    implementations: dict[str, str],
    baseline: str,
    timed_out: bool,
    timeout: float,
    stdout: str,
) -> dict[str, ImplResult]:
    names = list(implementations)
    collected = {n: 0 for n in names}
    passed = {n: 0 for n in names}
    skipped = {n: 0 for n in names}
    failed: dict[str, dict[str, str]] = {n: {} for n in names}
    finished: dict[str, set[str]] = {n: set() for n in names}
    collect_error = None
    done = False
    died: set[str] = set()
    order0 = next((module for module, name in by_module.items() if name == baseline), None)
    for rec in records:
        if "collect_error" in rec:
            collect_error = rec["collect_error"]
        elif rec.get("done"):
            done = True
        elif "died" in rec:  # the fork that ran one implementation's tests did not finish them
            targets = [by_module[rec["died"]]] if rec["died"] in by_module and rec["died"] != order0 else names
            for n in targets:
                died.add(n)
        elif "collected" in rec:
            targets = [by_module[rec["impl"]]] if rec["impl"] in by_module else names
            for n in targets:
                collected[n] += 1
        elif "nodeid" in rec:
            targets = [by_module[rec["impl"]]] if rec["impl"] in by_module else names
            test = rec["nodeid"].split("::", 1)[-1].split("[", 1)[0]
            for n in targets:
                if rec["outcome"] == "failed":
                    failed[n].setdefault(test, f"{test}: {rec['message']}")
                elif rec["when"] == "call" and rec["outcome"] == "passed":
                    passed[n] += 1
                elif rec["outcome"] == "skipped":
                    skipped[n] += 1
                if rec["when"] == "teardown":
                    finished[n].add(rec["nodeid"])
    out = {}
    for n in names:
        error = None
        if collect_error is not None:
            last = [ln for ln in collect_error.splitlines() if ln.strip()]
            error = "je testbestand kan niet geladen worden: " + (last[-1][:200] if last else "?")
        elif timed_out and (collected[n] == 0 or len(finished[n]) < collected[n]):
            error = f"de hele run duurde langer dan {timeout:g} s"
        elif (not done and not timed_out) or n in died:
            tail = [ln for ln in stdout.splitlines() if ln.strip()]
            error = "pytest stopte onverwacht: " + (tail[-1][:200] if tail else "geen uitvoer")
        elif collected[n] == 0:
            error = "geen enkele test gevonden die dataset_cls gebruikt"
        fails = tuple(failed[n].values())
        if error and not fails and n == baseline:
            fails = (error,)
        out[n] = ImplResult(n, collected[n], passed[n], fails, skipped[n], error)
    return out


def clear_cache() -> None:
    """Forget every cached result (the next :func:`run_suite` call starts a process again)."""
    _CACHE.clear()
