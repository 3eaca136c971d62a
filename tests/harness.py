"""Grading harness shared by the tests: build submissions, run the real nbgrader CLI, read the gradebook.

A *wrong answer* is a TOML file in ``tests/submissions/<slug>/``::

    why = "what the student believes"
    must_fail = ["test_grade_id", ...]      # autograded tests that must score 0; every other one keeps its points
    [cells]
    solution_grade_id = '''student code for that solution cell'''

The harness starts from the committed release notebook (what a student receives) and fills its solution cells as a
student would by typing in them: the cells named in ``[cells]`` get the wrong answer, all other solution cells get the
reference solution, so each file isolates one misconception.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mlinfra.build import venv_env

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "tests" / "submissions"
NBGRADER_TIMEOUT = 1800  # seconds for one whole nbgrader command


def all_slugs() -> list[str]:
    return sorted(p.stem for p in (ROOT / "notebooks").glob("q*.py"))


def source_nb(slug: str) -> Path:
    return ROOT / "source" / slug / f"{slug}.ipynb"


def release_nb(slug: str) -> Path:
    return ROOT / "release" / slug / f"{slug}.ipynb"


def env(**extra: str) -> dict[str, str]:
    """Subprocess environment for nbgrader: the build's (venv first on PATH), minus any leftover run mode."""
    e = venv_env(**extra)
    if "NBGRADER_EXECUTION" not in extra:
        e.pop("NBGRADER_EXECUTION", None)
    return e


_BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def secret_lines(slug: str, kinds: tuple[str, ...] = ("SOLUTION", "HIDDEN TESTS"), min_len: int = 12) -> set[str]:
    """Distinctive lines of the instructor-only blocks (solutions, model answers, hidden tests) of one question.

    Lines that also stand anywhere a student can see them are left out, so a hit in student material is a leak.
    """
    nb = nbformat.read(source_nb(slug), as_version=4)
    public = "\n".join(_BLOCK.sub("", c.source) for c in nb.cells)
    secret = {ln.strip() for c in nb.cells for kind, block in _BLOCK.findall(c.source) if kind in kinds
              for ln in block.splitlines()}
    return {ln for ln in secret if len(ln) >= min_len and ln not in public}


def grade_cells(slug: str) -> dict[str, dict]:
    """grade_id → nbgrader metadata for every graded cell of the instructor notebook."""
    nb = nbformat.read(source_nb(slug), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: dict(c.metadata["nbgrader"], cell_type=c.cell_type)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def autograded_tests(slug: str) -> dict[str, float]:
    """grade_id → points of the autograded test cells (graded code cells that are not solution cells)."""
    return {gid: m["points"] for gid, m in grade_cells(slug).items()
            if m["cell_type"] == "code" and not m["solution"]}


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


def wrong_answers(slug: str) -> list[WrongAnswer]:
    out = []
    for path in sorted((SUBMISSIONS / slug).glob("*.toml")):
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        missing = {"why", "must_fail", "cells"} - set(data)
        if missing:
            raise ValueError(f"{path}: missing keys {sorted(missing)}")
        out.append(WrongAnswer(slug, path.stem, data["why"], list(data["must_fail"]), dict(data["cells"])))
    return out


def reference_solutions(slug: str) -> dict[str, str]:
    """grade_id → the instructor's code for each solution cell, markers removed (what a perfect student types)."""
    nb = nbformat.read(source_nb(slug), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(
                ln for ln in c.source.splitlines() if ln.strip() not in {"### BEGIN SOLUTION", "### END SOLUTION"})
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def make_submission(slug: str, cells: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook as a student fills it in: the named solution cells hold the given code, every other
    solution cell holds the reference solution, so that a wrong answer isolates one misconception."""
    nb = nbformat.read(release_nb(slug), as_version=4)
    reference = reference_solutions(slug)
    unknown = set(cells) - set(reference)
    if unknown:
        raise ValueError(f"{slug}: submission names cells that are not solution cells: {sorted(unknown)}")
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in reference:
            cell.source = cells.get(gid, reference[gid]).strip("\n")
    return nb


def run(cmd: list[str], cwd: Path, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env(**extra_env), capture_output=True, text=True,
                          timeout=NBGRADER_TIMEOUT)


class Course:
    """A throw-away nbgrader course in a temp folder, with the repository's config and one assignment."""

    def __init__(self, slug: str):
        self.slug = slug
        self.dir = Path(tempfile.mkdtemp(prefix=f"course-{slug}-"))
        shutil.copy2(ROOT / "nbgrader_config.py", self.dir / "nbgrader_config.py")
        shutil.copytree(ROOT / "source" / slug, self.dir / "source" / slug)
        self.nbgrader("generate_assignment", slug, "--force")

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        proc = run([sys.executable, "-m", "nbgrader", *args], cwd=self.dir)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def submit(self, student: str, nb: nbformat.NotebookNode) -> None:
        dest = self.dir / "submitted" / student / self.slug / f"{self.slug}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest)

    def autograde(self) -> subprocess.CompletedProcess:
        proc = run([sys.executable, "-m", "nbgrader", "autograde", self.slug, "--create", "--force"], cwd=self.dir)
        failed = [s.name for s in (self.dir / "submitted").iterdir()
                  if not (self.dir / "autograded" / s.name / self.slug / f"{self.slug}.ipynb").exists()]
        if failed:
            # A kernel death, a deleted or metadata-stripped graded cell: nbgrader refuses the submission.
            raise RuntimeError(f"autograde produced no graded notebook for {sorted(failed)}:\n{proc.stderr[-5000:]}")
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader autograde failed ({proc.returncode}):\n{proc.stderr[-5000:]}")
        return proc

    def scores(self) -> dict[str, dict[str, float]]:
        """student → {grade_id: score} for the autograded test cells, read with nbgrader's Gradebook API."""
        from nbgrader.api import Gradebook

        tests = autograded_tests(self.slug)
        out: dict[str, dict[str, float]] = {}
        with Gradebook(f"sqlite:///{self.dir / 'gradebook' / 'gradebook.db'}", "ml-infra") as gb:
            for student in sorted(p.name for p in (self.dir / "submitted").iterdir()):
                out[student] = {gid: gb.find_grade(gid, self.slug, self.slug, student).score for gid in tests}
        return out

    def errors_in(self, student: str) -> dict[str, str]:
        """grade_id → the error a test cell raised in a student's autograded notebook (for failure messages)."""
        nb = nbformat.read(self.dir / "autograded" / student / self.slug / f"{self.slug}.ipynb", as_version=4)
        errors = {}
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            for o in cell.get("outputs", []):
                if o.output_type == "error":
                    errors[gid] = f"{o.ename}: {o.evalue}"[:300]
                elif o.output_type == "stream" and o.name == "stderr":
                    errors[gid] = "stderr: " + o.text[:300]
        return errors

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def demo_class(slug: str) -> dict[str, nbformat.NotebookNode]:
    """student id → notebook: the reference solution, the blank release and one student per wrong answer."""
    students = {"solution": nbformat.read(source_nb(slug), as_version=4),
                "blank": nbformat.read(release_nb(slug), as_version=4)}
    for wrong in wrong_answers(slug):
        students[wrong.student] = make_submission(slug, wrong.cells)
    return students


@functools.lru_cache(maxsize=None)
def roundtrip(slug: str) -> tuple[Course, dict[str, dict[str, float]]]:
    """Autograde the solution, the blank release and every wrong answer of one question in one nbgrader run."""
    course = Course(slug)
    for student, nb in demo_class(slug).items():
        course.submit(student, nb)
    course.autograde()
    return course, course.scores()
