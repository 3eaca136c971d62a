"""One question's grading round trip: a whole demo class autograded in a single ``mlinfra grade`` run.

The class: the reference solution (and repeated copies of it, to prove grading is stable), the blank release, one
student per wrong answer, a student who deleted a test cell and one whose kernel dies. The class is graded as an
instructor grades one with the course's grader (``mlinfra.course.grade``: one ``nbgrader autograde --student`` per
submission, a status each). Everything the round-trip tests assert is read from this one run, so each question is
graded once per test session.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from mlinfra.course.classroom import (
    Classroom,
    autograded_tests,
    demo_class,
    make_submission,
    reference_solutions,
)
from mlinfra.course.registry import Question

SOLUTION_RUNS = 5  # the solution is graded this many times in one round trip
DELETER, KILLER = "deleter", "killer"


def solution_copies() -> list[str]:
    return ["solution", *(f"solution-run{i}" for i in range(2, SOLUTION_RUNS + 1))]


@dataclass
class RoundTrip:
    slug: str
    course_dir: str
    scores: dict[str, dict[str, float]]  # student → grade_id → score (graded students only)
    errors: dict[str, dict[str, str]]  # student → cell → error text
    ungraded: list[str]  # students nbgrader produced no graded notebook for
    deleted_cell: str  # the test cell the deleter removed
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # generate / autograde / feedback → seconds
    statuses: dict[str, str] = field(default_factory=dict)  # student → mlinfra grade's status (graded, tampered, …)
    reasons: dict[str, str] = field(default_factory=dict)  # student → why the status is not simply "graded"

    def timing(self) -> str:
        """One line for the test summary: where the round trip's time went."""
        n = len(self.scores) + len(self.ungraded)
        parts = ", ".join(f"{k} {v:.0f}" for k, v in self.phases.items())
        per = f", {self.phases['autograde'] / n:.1f} s per notebook" if n and "autograde" in self.phases else ""
        odd = Counter(s for s in self.statuses.values() if s != "graded")
        seen = "".join(f", {k} {v}" for k, v in sorted(odd.items()))
        return f"{self.seconds:.0f} s: {n} notebooks{seen}; {parts}{per}"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RoundTrip:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def roundtrip_class(q: Question) -> tuple[dict[str, nbformat.NotebookNode], str]:
    """The students of a round trip and the test cell the deleter removes."""
    students = demo_class(q)
    for name in solution_copies()[1:]:
        students[name] = nbformat.read(q.source_nb, as_version=4)
    victim = next(iter(autograded_tests(q)))
    deleter = make_submission(q, {})
    deleter.cells = [c for c in deleter.cells if c.metadata.get("nbgrader", {}).get("grade_id") != victim]
    students[DELETER] = deleter
    first_solution = next(iter(reference_solutions(q)))
    students[KILLER] = make_submission(q, {first_solution: "import os\nos._exit(1)"})
    return students, victim


def run(q: Question, folder: Path) -> RoundTrip:
    """Build the class in a fresh course ``folder``, grade it once (``mlinfra grade``), generate feedback, read the
    gradebook."""
    start = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        now = time.perf_counter()
        phases[name] = round(now - t0, 1)
        return now

    room = Classroom(q.root, folder)
    room.add_assignment(q)
    students, victim = roundtrip_class(q)
    for student, nb in students.items():
        room.submit(q, student, nb)
    t = lap("generate", start)
    ungraded = room.autograde(q)
    results = room.results[q.slug]
    scores = room.scores(q)
    t = lap("autograde", t)
    room.generate_feedback(q)
    errors = {s: room.errors_in(q, s) for s in scores}
    lap("feedback", t)
    return RoundTrip(
        q.slug,
        str(room.dir),
        scores,
        errors,
        sorted(ungraded),
        victim,
        round(time.perf_counter() - start, 1),
        phases,
        statuses={r.student: r.status for r in results},
        reasons={r.student: r.reason for r in results if r.reason},
    )
