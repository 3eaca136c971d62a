"""The classroom: student submissions made from wrong-answer files, throw-away nbgrader courses, scores.

A *wrong answer* is a TOML file in ``tests/submissions/<slug>/``::

    why = "what the student believes"
    must_fail = ["test_grade_id", ...]      # autograded tests that must score 0; every other one keeps its points
    [cells]
    solution_grade_id = '''student code for that solution cell'''

A submission starts from the committed release notebook (what a student receives) and fills its solution cells as
a student would by typing in them: the cells named in ``[cells]`` get the wrong answer, all other solution cells get
the reference solution, so each file isolates one misconception. Grading always goes through nbgrader's own
command line and gradebook, never a re-implementation.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mlinfra.course import forkkernel, grade
from mlinfra.course.nbgrader_cli import nbgrader
from mlinfra.course.registry import Question

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib

COURSE_ID = "ml-infra"
#: With this variable (a kernelspec folder) and forkkernel.ENV_VAR (a socket) set, autograde reuses a running fork
#: server instead of starting one per call (the test session keeps one per worker).
SHARED_FORK_SPECS = "MLINFRA_FORK_SPECS"
NBGRADER_TIMEOUT = 3600  # seconds for one whole nbgrader command
#: Parallel ``nbgrader autograde --student`` runs per Classroom.autograde (per test worker: each pytest-xdist worker
#: grades its own question, so 1 keeps the CPU use of one plain nbgrader run); override with this variable.
ROUNDTRIP_WORKERS = "MLINFRA_ROUNDTRIP_WORKERS"


def roundtrip_workers() -> int:
    return max(1, int(os.environ.get(ROUNDTRIP_WORKERS, "1") or 1))


_BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
_SOLUTION_MARKERS = {"### BEGIN SOLUTION", "### END SOLUTION"}


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def graded_cells(q: Question) -> dict[str, dict]:
    """grade_id → nbgrader metadata (plus ``cell_type`` and ``hidden``) of every graded cell of the source."""
    return {
        c.metadata["nbgrader"]["grade_id"]: dict(
            c.metadata["nbgrader"], cell_type=c.cell_type, hidden="BEGIN HIDDEN TESTS" in c.source
        )
        for c in _read(q.source_nb).cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def autograded_tests(q: Question) -> dict[str, float]:
    """grade_id → points of the autograded test cells (graded code cells that are not solution cells)."""
    return {gid: m["points"] for gid, m in graded_cells(q).items() if m["cell_type"] == "code" and not m["solution"]}


def secret_lines(q: Question, kinds: tuple[str, ...] = ("SOLUTION", "HIDDEN TESTS"), min_len: int = 12) -> set[str]:
    """Distinctive lines of the instructor-only blocks (solutions, model answers, hidden tests) of one question.

    Lines that also stand anywhere a student can see them are left out, so a hit in student material is a leak.
    """
    cells = _read(q.source_nb).cells
    public = "\n".join(_BLOCK.sub("", c.source) for c in cells)
    secret = {
        ln.strip()
        for c in cells
        for kind, block in _BLOCK.findall(c.source)
        if kind in kinds
        for ln in block.splitlines()
    }
    return {ln for ln in secret if len(ln) >= min_len and ln not in public}


@dataclass
class WrongAnswer:
    slug: str
    name: str
    why: str
    must_fail: list[str]
    cells: dict[str, str] = field(default_factory=dict)

    @property
    def student(self) -> str:
        return f"wrong-{self.name}".replace("_", "-")


def wrong_answers(q: Question) -> list[WrongAnswer]:
    out = []
    for path in sorted(q.submissions_dir.glob("*.toml")):
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        missing = {"why", "must_fail", "cells"} - set(data)
        if missing:
            raise ValueError(f"{path}: missing keys {sorted(missing)}")
        out.append(WrongAnswer(q.slug, path.stem, data["why"], list(data["must_fail"]), dict(data["cells"])))
    return out


def reference_solutions(q: Question) -> dict[str, str]:
    """grade_id → the instructor's code for each solution cell, markers removed (what a perfect student types)."""
    return {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(
            ln for ln in c.source.splitlines() if ln.strip() not in _SOLUTION_MARKERS
        )
        for c in _read(q.source_nb).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def make_submission(q: Question, cells: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook as a student fills it in: the named solution cells hold the given code, every other
    solution cell holds the reference solution, so that a wrong answer isolates one misconception."""
    nb = _read(q.release_nb)
    reference = reference_solutions(q)
    unknown = set(cells) - set(reference)
    if unknown:
        raise ValueError(f"{q.slug}: submission names cells that are not solution cells: {sorted(unknown)}")
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in reference:
            cell.source = cells.get(gid, reference[gid]).strip("\n")
    return nb


def demo_class(q: Question) -> dict[str, nbformat.NotebookNode]:
    """student id → notebook: the reference solution, the blank release and one student per wrong answer."""
    students = {"solution": _read(q.source_nb), "blank": _read(q.release_nb)}
    for wrong in wrong_answers(q):
        students[wrong.student] = make_submission(q, wrong.cells)
    return students


class Classroom:
    """An nbgrader course folder with the repository's config: a throw-away one (default) or a real one."""

    def __init__(self, repo_root: Path, folder: Path | None = None):
        self.repo_root = Path(repo_root)
        self.dir = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="mlinfra-course-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.dir.resolve() != self.repo_root.resolve():
            shutil.copy2(self.repo_root / "nbgrader_config.py", self.dir / "nbgrader_config.py")
        self.results: dict[str, list[grade.Result]] = {}  # slug → mlinfra grade's result per student

    def question(self, q: Question) -> Question:
        """``q`` with its paths inside this course folder."""
        return q.in_course(self.dir)

    def add_assignment(self, q: Question) -> None:
        """Copy the question's source folder in and register the assignment (``generate_assignment``)."""
        here = self.question(q)
        if here.source_dir.resolve() != q.source_dir.resolve():
            shutil.copytree(q.source_dir, here.source_dir, dirs_exist_ok=True)
        self.nbgrader("generate_assignment", q.slug, "--force")

    def nbgrader(self, *args: str, check: bool = True, **env: str):
        return nbgrader(*args, "--log-level=WARN", cwd=self.dir, timeout=NBGRADER_TIMEOUT, check=check, **env)

    def submit(self, q: Question, student: str, nb: nbformat.NotebookNode) -> None:
        dest = self.question(q).submitted_nb(student)
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest)

    def students(self, q: Question) -> list[str]:
        folder = self.dir / "submitted"
        return sorted(p.name for p in folder.iterdir() if (p / q.slug).is_dir()) if folder.is_dir() else []

    def autograde(
        self,
        q: Question,
        fork: bool | None = None,
        *,
        plain: bool | None = None,
        workers: int | None = None,
        limits: grade.Limits | None = None,
        isolate: bool | None = None,
    ) -> set[str]:
        """Autograde every submission of ``q``; return the students nbgrader produced no graded notebook for
        (a kernel death, a submission it refuses). The per-student results stay in ``self.results[q.slug]``.

        By default the class goes through ``mlinfra grade`` (``grade.grade``): one ``nbgrader autograde <slug>
        --student <id>`` per submission, ``workers`` at a time (default 1, or ``$MLINFRA_ROUNDTRIP_WORKERS``), each
        with a status (graded, tampered, kernel-died, ...); with ``fork`` (default: ``forkkernel.enabled()``) its
        kernels are forked from a process with torch imported, reusing the test session's fork server if running;
        ``isolate`` as ``grade.grade`` (default: sandbox every kernel where the machine allows it).

        ``plain`` (default: when ``fork`` is passed as ``False``) grades as an instructor without mlinfra does: one
        plain ``nbgrader autograde <slug>`` for the whole class with ordinary kernels — the reference the grader's
        scores are compared with. It sets no per-student results."""
        plain = fork is False if plain is None else plain
        if plain:
            self.results.pop(q.slug, None)
            return self.autograde_plain(q)
        fork = forkkernel.enabled() if fork is None else fork
        results = grade.grade(
            self.dir,
            workers=workers or roundtrip_workers(),
            assignments=[q.slug],
            limits=limits,
            fork=fork,
            progress=False,
            isolate=isolate,
        )
        self.results[q.slug] = results
        here = self.question(q)
        return {s for s in self.students(q) if not here.autograded_nb(s).exists()}

    def autograde_plain(self, q: Question) -> set[str]:
        """One plain ``nbgrader autograde <slug>`` for the whole class with ordinary kernels (no fork server, no
        per-student runs); return the students without a graded notebook. Raises when nbgrader fails otherwise."""
        proc = self.nbgrader("autograde", q.slug, "--create", "--force", check=False)
        here = self.question(q)
        ungraded = {s for s in self.students(q) if not here.autograded_nb(s).exists()}
        if proc.returncode != 0 and not ungraded:
            raise RuntimeError(f"nbgrader autograde {q.slug} failed ({proc.returncode}):\n{proc.stderr[-5000:]}")
        return ungraded

    def scores(self, q: Question) -> dict[str, dict[str, float]]:
        """student → {grade_id: score} for the autograded test cells, read with nbgrader's Gradebook API."""
        from nbgrader.api import Gradebook

        tests = autograded_tests(q)
        here = self.question(q)
        out: dict[str, dict[str, float]] = {}
        with Gradebook(f"sqlite:///{self.dir / 'gradebook' / 'gradebook.db'}", COURSE_ID) as gb:
            for student in self.students(q):
                if here.autograded_nb(student).exists():
                    out[student] = {gid: gb.find_grade(gid, q.slug, q.slug, student).score for gid in tests}
        return out

    def errors_in(self, q: Question, student: str) -> dict[str, str]:
        """grade_id (or cell id) → the error or stderr a cell produced in a student's autograded notebook."""
        errors = {}
        for cell in _read(self.question(q).autograded_nb(student)).cells:
            key = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id", "?")
            for o in cell.get("outputs", []):
                if o.output_type == "error":
                    errors[key] = f"{o.ename}: {o.evalue}"[:300]
                elif o.output_type == "stream" and o.name == "stderr":
                    errors[key] = "stderr: " + o.text[:300]
        return errors

    def generate_feedback(self, q: Question) -> None:
        self.nbgrader("generate_feedback", q.slug, "--force")

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
