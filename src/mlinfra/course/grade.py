"""Grading a whole class: every submission of every assignment, autograded by nbgrader in parallel workers.

``mlinfra grade`` (and ``make grade``) runs one ``nbgrader autograde <assignment> --student <id>`` per submission in
N parallel workers (default: the machine's cores). Grading is nbgrader's own — its converters write the gradebook, so
``nbgrader export``, ``generate_feedback`` and the formgrader work on the result and scores are identical to one
plain ``nbgrader autograde`` run. What this module adds:

* **speed**: the ``python3`` kernels are forked from one server with torch imported (``mlinfra.course.forkkernel``);
* **limits** per notebook: nbgrader's cell timeout, a whole-notebook wall ceiling (the fork server kills the kernel)
  and a memory limit on the kernel (RLIMIT_DATA on top of what the forked kernel maps already); a runaway submission
  is stopped, recorded with its reason, and the rest of the class is graded;
* **a safe gradebook** under parallel writers: SQLite in WAL mode (readers never block the writer), a busy timeout
  of ``DB_TIMEOUT`` s on every connection nbgrader opens (its default of 5 s loses a notebook as soon as writers
  queue up) and a retry of a notebook whose run still failed on "database is locked";
* **a status per submission**, distinguishing a graded notebook, a tampered one (deleted test cells, stripped
  nbgrader metadata, duplicated ``grade_id``: graded as nbgrader grades them, and reported), a stopped one
  (``timeout``, ``memory``), a dying kernel (``kernel-died``), another nbgrader failure (``error``) and a student
  who handed nothing in (``not-submitted``);
* **isolation**: each kernel runs in namespaces of its own (``mlinfra.course._sandbox``): no network but its own
  loopback, the file system read-only except its own folder and a private ``/tmp``, other submissions, the
  gradebook, ``source/`` and the repository's solutions hidden, its own PID namespace. nbgrader talks to it over
  ZeroMQ's ``ipc`` transport in a runtime folder of its own. Where the machine does not allow namespaces, grading
  goes on and says loudly that it is not isolated;
* a tqdm progress bar (done/total, ETA, failures so far) and a summary table.

Several machines share the work through one database (``--db-url postgresql+psycopg2://…``, handed to nbgrader as
is; tests/test_class_grading.py grades against a real PostgreSQL server) and disjoint student shards
(``--students 'a*'`` on one machine, ``--students 'b*'`` on the next).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from mlinfra.course import _sandbox, forkkernel
from mlinfra.course.nbgrader_cli import nbgrader_env
from mlinfra.course.registry import GENERATED, registry

COURSE_ID = "ml-infra"
SHARED_FORK_SPECS = "MLINFRA_FORK_SPECS"  # as mlinfra.course.classroom: a running server's kernelspec folder
DB_TIMEOUT = 300  # seconds a gradebook connection waits for the write lock
DB_RETRIES = 3  # attempts for a notebook whose run failed on a locked database anyway
STATUSES = ("graded", "tampered", "timeout", "memory", "kernel-died", "error", "not-submitted")
OK_STATUSES = ("graded", "tampered")
NOT_ISOLATED = (
    "WARNING: submissions are NOT isolated ({reason}): a kernel can read other submissions, the gradebook and "
    "source/, write outside its folder and use the network. Grade untrusted notebooks inside a container or VM."
)
ISOLATED = (
    "kernels are isolated: no network, read-only file system but their own folder, other submissions, the "
    "gradebook and the solutions hidden, own PID namespace"
)
#: Environment variables a sandboxed kernel does not get (the grader's credentials); nbgrader gets the gradebook URL
#: on its command line, so nothing of the grading needs them.
SECRET_ENV = re.compile(
    r"SECRET|TOKEN|PASSW|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|^AWS_|^MINIO_|^PG|^DATABASE_URL$", re.I
)
_MEMORY_ERRORS = re.compile(r"MemoryError|can't allocate memory|Cannot allocate memory|std::bad_alloc")


@dataclass
class Limits:
    """Per-notebook limits. ``None`` keeps nbgrader's setting (cell timeout) or switches the limit off."""

    wall: float | None = 600.0  # seconds for the whole notebook (the kernel is killed after it)
    memory_mb: float | None = 3072.0  # MiB of data segment the kernel may add on top of its fork
    cell_timeout: float | None = None  # nbgrader's Execute.timeout (the course config says 120 s)

    def kernel_env(self) -> dict[str, str]:
        env = {}
        if self.wall:
            env["MLINFRA_KERNEL_WALL"] = str(self.wall)
        if self.memory_mb:
            env["MLINFRA_KERNEL_MEM"] = str(int(self.memory_mb * 2**20))
        return env


@dataclass
class Result:
    assignment: str
    student: str
    status: str
    score: float | None = None
    max_score: float | None = None
    reason: str = ""
    seconds: float = 0.0
    attempts: int = 0
    peak_rss_mb: float | None = None
    cells: dict[str, float] = field(default_factory=dict)  # grade_id → score of each autograded cell
    started_at: float = 0.0  # epoch seconds: nbgrader started / ended, the (last) kernel was forked
    ended_at: float = 0.0
    kernel_started_at: float | None = None

    @property
    def ok(self) -> bool:
        """Graded (a tampered notebook only when nbgrader still gave it a score)."""
        return self.status in OK_STATUSES and (self.status == "graded" or self.score is not None)


@dataclass
class Course:
    """An nbgrader course folder: its gradebook URL and what was handed in."""

    root: Path
    db_url: str = ""

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        if not self.db_url:
            self.db_url = f"sqlite:///{self.root / 'gradebook' / 'gradebook.db'}"

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.db_url.split("sqlite:///", 1)[1].split("?", 1)[0]) if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite:///")

    @property
    def worker_db_url(self) -> str:
        """The URL every nbgrader worker uses: SQLite with a long busy timeout."""
        if self.is_sqlite and "?" not in self.db_url:
            return f"{self.db_url}?timeout={DB_TIMEOUT}"
        return self.db_url

    def assignments(self) -> list[str]:
        """Assignments with a source folder (the ones ``generate_assignment`` put in the gradebook)."""
        folder = self.root / GENERATED[0]
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def submitted(self, assignment: str) -> list[str]:
        folder = self.root / "submitted"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())

    def roster(self) -> list[str]:
        """Every student the course knows: the gradebook's and everyone who handed anything in."""
        from nbgrader.api import Gradebook

        names = set()
        folder = self.root / "submitted"
        if folder.is_dir():
            names |= {p.name for p in folder.iterdir() if p.is_dir()}
        with Gradebook(self.db_url, COURSE_ID) as gb:
            names |= {s.id for s in gb.students}
        return sorted(names)

    def prepare_db(self) -> None:
        """Create the gradebook if needed and put SQLite in WAL mode (persistent; readers no longer block writers)."""
        from nbgrader.api import Gradebook

        if self.is_sqlite:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = nbgrader_env()["PATH"]  # a new gradebook asks the `alembic` next to nbgrader
        try:
            with Gradebook(self.db_url, COURSE_ID):
                pass
        finally:
            os.environ["PATH"] = path
        if self.is_sqlite:
            con = sqlite3.connect(self.sqlite_path, timeout=DB_TIMEOUT)
            try:
                con.execute("PRAGMA journal_mode=WAL")
            finally:
                con.close()

    def read_scores(self, assignment: str, student: str) -> tuple[float, float, dict[str, float]]:
        """(score, max score, {grade_id: score} of the autograded cells) from nbgrader's gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, COURSE_ID) as gb:
            sub = gb.find_submission(assignment, student)
            cells = {
                g.name: g.score
                for nb in sub.notebooks
                for g in nb.grades
                if g.cell_type == "code" and not g.needs_manual_grade
            }
            return sub.score, sub.max_score, cells


# ------------------------------------------------------------------------------------------- tampering checks
def _grade_ids(nb: nbformat.NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")]


def tampering(course: Course, assignment: str, student: str) -> list[str]:
    """What a submission changed in the notebook's structure (empty for an honest one), compared to the source."""
    problems = []
    for src in sorted((course.root / GENERATED[0] / assignment).glob("*.ipynb")):
        sub = course.root / "submitted" / student / assignment / src.name
        if not sub.exists():
            problems.append(f"{src.name} missing")
            continue
        try:
            mine = nbformat.read(sub, as_version=4)
        except Exception as exc:  # noqa: BLE001 - any unreadable notebook is tampered
            problems.append(f"{src.name} unreadable ({type(exc).__name__})")
            continue
        theirs = _grade_ids(nbformat.read(src, as_version=4))
        ids = _grade_ids(mine)
        counts = Counter(ids)
        dup = sorted(g for g, n in counts.items() if n > 1)
        missing = [g for g in theirs if g not in counts]
        if not ids and theirs:
            problems.append("nbgrader metadata stripped")
        elif missing:
            problems.append("cells deleted or metadata stripped: " + ", ".join(missing[:4]))
        if dup:
            problems.append("duplicated grade_id: " + ", ".join(dup[:4]))
    return problems


def _output_errors(course: Course, assignment: str, student: str) -> list[str]:
    """``ename: evalue`` of every error output in a student's autograded notebooks."""
    errors = []
    for nb_path in (course.root / "autograded" / student / assignment).glob("*.ipynb"):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    errors.append(f"{out.ename}: {out.evalue}")
    return errors


def _nbgrader_error(out: str) -> str:
    """The exception nbgrader's log ends with (``KeyError: 'grade_id'``), or its last error line."""
    excs = re.findall(r"^\s*(\w+(?:Error|Exception)\b.*)$", out, re.M)
    if excs:
        return excs[-1].strip()[:160]
    lines = [ln for ln in out.splitlines() if "ERROR" in ln]
    return (lines[-1] if lines else out.strip().splitlines()[-1] if out.strip() else "no output")[:160]


# ---------------------------------------------------------------------------------------------------- isolation
def isolation_unavailable() -> str | None:
    """None when kernels can be sandboxed on this machine, else why not (the probe runs in a child process)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-I", _sandbox.__file__], capture_output=True, text=True, timeout=60, check=False
        )
        return json.loads(proc.stdout)["reason"] if proc.stdout.strip() else (proc.stderr.strip()[-300:] or "?")
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as exc:
        return f"probe failed: {exc}"


def sandbox_spec(course: Course, runtime_dir: Path) -> dict:
    """What one kernel may write (besides its own folder and a private /tmp) and what it must not see."""
    root = course.root
    for name in ("submitted", "autograded", "feedback"):  # nbgrader makes them later: hide them from the start
        (root / name).mkdir(exist_ok=True)
    hide = [root / name for name in ("submitted", "autograded", "feedback", GENERATED[0], "exchange")]
    if course.sqlite_path is not None:
        db = course.sqlite_path
        hide += [db.parent] if db.parent != root else [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    repo = registry().root  # the repository's solutions and wrong answers, wherever the course lies
    hide += [repo / name for name in ("notebooks", GENERATED[0], "tests", ".git")]
    return {"rw": [str(runtime_dir)], "hide": [str(p) for p in hide if p.exists()]}


# ------------------------------------------------------------------------------------------------- one notebook
def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def autograde_one(
    course: Course,
    assignment: str,
    student: str,
    limits: Limits,
    env: dict[str, str],
    report_dir: Path,
    isolate: bool = False,
) -> Result:
    """``nbgrader autograde ASSIGNMENT --student STUDENT`` with the limits; a status for what happened.
    With ``isolate`` the kernel runs in a sandbox (needs fork kernels) and nbgrader reaches it over ``ipc``."""
    start = time.perf_counter()
    report = report_dir / f"{assignment}--{student}.jsonl"
    sandbox_env = {}
    if isolate:  # a short runtime folder per notebook: Unix socket paths are limited to ~107 bytes
        runtime = Path(tempfile.mkdtemp(prefix="rt-", dir=report_dir))
        spec = sandbox_spec(course, runtime)
        sandbox_env = {"JUPYTER_RUNTIME_DIR": str(runtime), _sandbox.SANDBOX_VAR: json.dumps(spec)}
    nbgrader_cmd = (
        forkkernel.run_argv("nbgrader") if env.get(forkkernel.RUN_VAR) else [sys.executable, "-m", "nbgrader"]
    )
    args = [
        *nbgrader_cmd,
        "autograde",
        assignment,
        "--student",
        student,
        "--create",
        "--force",
        "--log-level=WARN",
        f"--CourseDirectory.db_url={course.worker_db_url}",
        f"--CourseDirectory.root={course.root}",
    ]
    if limits.cell_timeout:
        args.append(f"--Execute.timeout={int(limits.cell_timeout)}")
    if isolate:  # the sandboxed kernel has a loopback of its own: ZeroMQ over Unix sockets in the runtime folder
        args += [
            "--KernelManager.transport=ipc",
            f"--KernelManager.ip={runtime / 'k'}",
            f"--KernelManager.connection_file={runtime / 'kernel.json'}",
        ]
    run_env = {**env, **limits.kernel_env(), "MLINFRA_KERNEL_REPORT": str(report), **sandbox_env}
    if isolate:
        run_env = {k: v for k, v in run_env.items() if not SECRET_ENV.search(k)}
    # nbgrader itself never runs longer than the notebook's ceiling plus its own start and bookkeeping
    backstop = (limits.wall or 3600) + 300
    result = Result(assignment, student, "error", started_at=time.time())
    for attempt in range(1, DB_RETRIES + 1):
        result.attempts = attempt
        report.unlink(missing_ok=True)
        shutil.rmtree(course.root / "autograded" / student / assignment, ignore_errors=True)  # no stale result
        proc = subprocess.Popen(
            args,
            cwd=course.root,
            env=run_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=backstop)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, _ = proc.communicate()
            out += f"\nmlinfra grade: nbgrader killed after {backstop:.0f} s"
        _kill_group(proc)  # nothing nbgrader started outlives it
        if proc.returncode != 0 and "database is locked" in out and attempt < DB_RETRIES:
            time.sleep(attempt)
            continue
        break
    result.seconds = round(time.perf_counter() - start, 1)
    result.ended_at = time.time()
    kernels = [json.loads(ln) for ln in report.read_text().splitlines()] if report.exists() else []
    rss = [k["peak_rss_mb"] for k in kernels if k.get("peak_rss_mb") is not None]
    result.peak_rss_mb = max(rss) if rss else None
    result.kernel_started_at = kernels[-1].get("started_at") if kernels else None
    graded = any((course.root / "autograded" / student / assignment).glob("*.ipynb"))
    walled = [k for k in kernels if k.get("killed") == "wall"]
    died = [k for k in kernels if k.get("exit") not in (0, None) and k.get("killed") is None]
    errors = _output_errors(course, assignment, student) if graded else []
    if walled:
        result.status, result.reason = "timeout", f"notebook ran longer than {limits.wall:g} s: kernel killed"
    elif "nbgrader killed after" in out:
        result.status, result.reason = "timeout", out.rsplit("\n", 1)[-1]
    elif any(_MEMORY_ERRORS.search(e) for e in errors):
        result.status = "memory"
        limit = f"the memory limit ({limits.memory_mb:g} MiB)" if limits.memory_mb else "available memory"
        result.reason = f"an allocation beyond {limit} failed; its cells scored 0"
    elif any(e.startswith(("CellTimeoutError", "KeyboardInterrupt")) for e in errors):
        result.status, result.reason = "timeout", "a cell ran longer than the cell timeout: interrupted, scored 0"
    elif not graded and died and died[-1]["exit"] == _sandbox.FAILED_EXIT:
        result.status, result.reason = "error", "the kernel's sandbox could not be set up: submission not run"
    elif not graded and died:
        code = died[-1]["exit"]
        how = f"signal {-code}" if code < 0 else f"exit status {code}"
        result.status, result.reason = "kernel-died", f"kernel ended with {how}"
    elif not graded and re.search(r"DeadKernelError|Kernel died", out):
        result.status, result.reason = "kernel-died", "the kernel died while grading"
    elif not graded:
        problems = tampering(course, assignment, student)
        result.status = "tampered" if problems else "error"
        result.reason = "; ".join([*problems, f"nbgrader could not grade it: {_nbgrader_error(out)}"])
    else:
        problems = tampering(course, assignment, student)
        result.status = "tampered" if problems else "graded"
        result.reason = "; ".join(problems)
    if graded:
        result.score, result.max_score, result.cells = course.read_scores(assignment, student)
    return result


# ----------------------------------------------------------------------------------------------- the whole class
def grade(
    root: Path,
    workers: int | None = None,
    assignments: list[str] | None = None,
    students: str | None = None,
    limits: Limits | None = None,
    fork: bool | None = None,
    db_url: str = "",
    progress: bool = True,
    server: forkkernel.ForkServer | None = None,
    runner: forkkernel.ForkServer | None = None,
    isolate: bool | None = None,
) -> list[Result]:
    """Autograde every submission (of ``assignments``, of students matching the glob ``students``) of the course at
    ``root``; one Result per student × assignment, ``not-submitted`` included.

    ``isolate``: sandbox every kernel (True: required, raises where impossible; None: when the machine allows it,
    else a loud warning on stderr; False: never). Isolation needs fork kernels.

    With ``fork``, kernels come from a fork server with torch imported (``server``: reuse a running one) and each
    ``nbgrader autograde`` is forked from a runner with nbgrader imported (``runner``: reuse a running one)."""
    course = Course(root, db_url)
    limits = limits or Limits()
    workers = workers or os.cpu_count() or 1
    fork = forkkernel.enabled() if fork is None else fork
    assignments = assignments or course.assignments()
    if isolate is not False:
        reason = "fork kernels are off" if not fork else isolation_unavailable()
        if reason and isolate:
            raise RuntimeError(f"kernels cannot be isolated here: {reason}")
        if reason:
            print(NOT_ISOLATED.format(reason=reason), file=sys.stderr, flush=True)
        isolate = reason is None
    course.prepare_db()
    tasks = [(a, s) for a in assignments for s in course.submitted(a) if not students or fnmatch.fnmatch(s, students)]
    results: list[Result] = []
    with ExitStack() as stack:
        env = nbgrader_env()
        shared = {k: os.environ.get(k, "") for k in (SHARED_FORK_SPECS, forkkernel.ENV_VAR)}
        if fork and tasks and server is None and all(shared.values()) and Path(shared[forkkernel.ENV_VAR]).exists():
            # a fork server the caller keeps running (the test session's): reuse it
            env.update({"JUPYTER_PATH": shared[SHARED_FORK_SPECS], forkkernel.ENV_VAR: shared[forkkernel.ENV_VAR]})
        elif fork and tasks:
            srv = server or stack.enter_context(forkkernel.ForkServer(env=nbgrader_env()))
            env.update(srv.env())
        if fork and tasks:
            run = runner or stack.enter_context(
                forkkernel.ForkServer(env=nbgrader_env(), modules=forkkernel.NBGRADER_PRELOAD)
            )
            env.update(run.runner_env())
        report_dir = Path(tempfile.mkdtemp(prefix="mlinfra-grade-"))
        stack.callback(shutil.rmtree, report_dir, True)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = stack.enter_context(tqdm(total=len(tasks), unit="nb", desc="autograde", dynamic_ncols=True))
            bar.set_postfix(failed=0)
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=workers))
        futures = {pool.submit(autograde_one, course, a, s, limits, env, report_dir, isolate): (a, s) for a, s in tasks}
        failed = 0
        try:
            for fut in as_completed(futures):
                a, s = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - one broken submission never stops the class
                    res = Result(a, s, "error", reason=f"mlinfra grade: {type(exc).__name__}: {exc}"[:200])
                results.append(res)
                failed += not res.ok
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(failed=failed)
        except KeyboardInterrupt:
            for fut in futures:  # running notebooks finish; queued ones are dropped
                fut.cancel()
            raise
    handed_in = {(r.assignment, r.student) for r in results}
    roster = [s for s in course.roster() if not students or fnmatch.fnmatch(s, students)]
    results += [Result(a, s, "not-submitted") for a in assignments for s in roster if (a, s) not in handed_in]
    return sorted(results, key=lambda r: (r.assignment, r.student))


def summary(results: list[Result], seconds: float | None = None) -> str:
    """The table printed after grading: per assignment the counts per status and the mean score, then every
    submission that was not simply graded, with its reason."""
    lines = []
    by_assignment: dict[str, list[Result]] = {}
    for r in results:
        by_assignment.setdefault(r.assignment, []).append(r)
    head = f"{'assignment':<26}" + "".join(f"{s:>14}" for s in STATUSES) + f"{'mean score':>12}"
    lines += [head, "-" * len(head)]
    for a, rs in by_assignment.items():
        counts = Counter(r.status for r in rs)
        scored = [r for r in rs if r.score is not None]
        mean = f"{sum(r.score for r in scored) / len(scored):.1f}/{scored[0].max_score:g}" if scored else "-"
        lines.append(f"{a:<26}" + "".join(f"{counts.get(s, 0):>14}" for s in STATUSES) + f"{mean:>12}")
    odd = [r for r in results if r.status not in ("graded", "not-submitted")]
    if odd:
        lines += ["", f"{'assignment':<26}{'student':<32}{'status':<13}{'score':>7}  reason"]
        for r in odd:
            score = f"{r.score:g}" if r.score is not None else "-"
            lines.append(f"{r.assignment:<26}{r.student:<32}{r.status:<13}{score:>7}  {r.reason}")
    graded = [r for r in results if r.status != "not-submitted"]
    if seconds and graded:
        lines += ["", f"{len(graded)} notebooks in {seconds:.0f} s: {60 * len(graded) / seconds:.1f} notebooks/min"]
    return "\n".join(lines)


def save(results: list[Result], path: Path) -> None:
    path.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")


def main(args) -> int:
    """``mlinfra grade`` (argparse namespace from ``mlinfra.course.__main__``)."""
    limits = Limits(wall=args.wall or None, memory_mb=args.memory_mb or None, cell_timeout=args.cell_timeout or None)
    print(f"grading {args.course} with {args.workers or os.cpu_count()} workers; fork kernels: {forkkernel.enabled()}")
    reason = isolation_unavailable() if forkkernel.enabled() else "fork kernels are off"
    print(ISOLATED if reason is None else NOT_ISOLATED.format(reason=reason), file=sys.stderr, flush=True)
    start = time.perf_counter()
    results = grade(
        args.course,
        workers=args.workers,
        assignments=args.assignment or None,
        students=args.students,
        limits=limits,
        db_url=args.db_url or "",
        isolate=reason is None,
    )
    seconds = time.perf_counter() - start
    print(summary(results, seconds))
    if args.json:
        save(results, Path(args.json))
    return 0 if all(r.ok or r.status == "not-submitted" for r in results) else 1
