"""The full instructor round trip on a demo class, in the real course folder (submitted/ etc. are git-ignored).

For every question: a student who hands in the reference solution, one who hands in the blank notebook, and one
student per wrong answer in tests/submissions/. Then `nbgrader autograde`, `generate_feedback` and `export`, exactly
as an instructor runs them, and a summary of the scores.
"""

from __future__ import annotations

import csv
import sys

from mlinfra.course.classroom import Classroom, demo_class
from mlinfra.course.registry import registry


def main() -> int:
    reg = registry()
    room = Classroom(reg.root, folder=reg.root)  # the repository is the course
    for q in reg.questions:
        for student, nb in demo_class(q).items():
            room.submit(q, f"demo-{q.slug[:3]}-{student}", nb)
        print(f"$ nbgrader generate_assignment / autograde / generate_feedback {q.slug}", flush=True)
        room.add_assignment(q)
        ungraded = room.autograde(q)
        if ungraded:
            print(f"  no graded notebook for {sorted(ungraded)} (see nbgrader's log)", flush=True)
        room.generate_feedback(q)
    room.nbgrader("export")
    with open(reg.root / "grades.csv", newline="") as fh:
        # export lists every student × assignment; keep the ones that were handed in
        rows = [r for r in csv.DictReader(fh) if (reg.root / "submitted" / r["student_id"] / r["assignment"]).is_dir()]
    print(f"\n{'assignment':<24}{'student':<52}{'score':>7}{'max':>7}   (max includes manually graded points)")
    for r in sorted(rows, key=lambda r: (r["assignment"], r["student_id"])):
        print(f"{r['assignment']:<24}{r['student_id']:<52}{float(r['score']):>7.1f}{float(r['max_score']):>7.1f}")
    print("\nFeedback (HTML) in feedback/, grades in grades.csv.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
