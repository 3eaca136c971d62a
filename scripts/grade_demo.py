"""`make grade`: the instructor's round trip on the course at the repository root (or `--course DIR`).

1. When nothing is handed in yet (or with `--demo`): hand in a demo class — for every question a student with the
   reference solution, one with the blank notebook and one per wrong answer in tests/submissions/ (submitted/ and
   the other nbgrader folders are git-ignored).
2. Register every assignment the gradebook does not know yet (`nbgrader generate_assignment`).
3. `mlinfra grade`: every submission autograded in parallel workers with fork kernels and per-notebook limits,
   a progress bar and a summary table (mlinfra.course.grade).
4. `nbgrader generate_feedback` and `nbgrader export` exactly as an instructor runs them.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import nbformat

from mlinfra.course import grade
from mlinfra.course.classroom import demo_class
from mlinfra.course.nbgrader_cli import nbgrader
from mlinfra.course.registry import registry


def run(course: grade.Course, *args: str) -> None:
    print("$ nbgrader", *args, flush=True)
    nbgrader(*args, "--log-level=WARN", cwd=course.root, timeout=3600)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--course", type=Path, default=None, help="nbgrader course folder (default: repository root)")
    p.add_argument("--workers", "-j", type=int, default=None, help="parallel nbgrader runs (default: cores)")
    p.add_argument("--demo", action="store_true", help="hand in the demo class even when submissions exist")
    p.add_argument("--no-feedback", action="store_true", help="skip generate_feedback")
    args = p.parse_args(argv)
    reg = registry()
    course = grade.Course(args.course or reg.root)
    handed_in = any(course.submitted(a) for a in course.assignments())
    if args.demo or not handed_in:
        print("handing in the demo class (solution, blank, every wrong answer of every question)", flush=True)
        for q in reg.questions:
            if q.slug not in course.assignments():
                continue
            for student, nb in demo_class(q).items():
                dest = q.in_course(course.root).submitted_nb(f"demo-{q.slug[:3]}-{student}")
                dest.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, dest)
    from nbgrader.api import Gradebook, MissingEntry

    course.prepare_db()
    for slug in course.assignments():
        with Gradebook(course.db_url, grade.COURSE_ID) as gb:
            try:
                gb.find_assignment(slug)
                known = True
            except MissingEntry:
                known = False
        if not known:
            run(course, "generate_assignment", slug, "--force")

    start = time.perf_counter()
    results = grade.grade(course.root, workers=args.workers)  # isolated where the machine allows, else it warns
    seconds = time.perf_counter() - start
    print(grade.summary(results, seconds), flush=True)
    if not args.no_feedback:
        for a in sorted({r.assignment for r in results if r.score is not None}):
            run(course, "generate_feedback", a, "--force")
    run(course, "export")
    with open(course.root / "grades.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["student_id"] in course.submitted(r["assignment"])]
    print(f"\n{len(rows)} graded submissions exported to grades.csv; feedback (HTML) in feedback/.")
    return 0 if all(r.ok or r.status == "not-submitted" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
