"""The full instructor round trip on a demo class, in the real course folder (submitted/ etc. are git-ignored).

For every question: a student who hands in the reference solution, one who hands in the blank notebook, and one
student per wrong answer in tests/submissions/. Then `nbgrader autograde`, `generate_feedback` and `export`, exactly
as an instructor runs them, and a summary of the scores.
"""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import harness  # noqa: E402
import nbformat  # noqa: E402


def nbgrader(*args: str) -> None:
    print("$ nbgrader", " ".join(args), flush=True)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=ROOT, env=harness.env())
    if proc.returncode != 0:
        sys.exit(f"nbgrader {args[0]} failed ({proc.returncode}); see the log above")


def main() -> int:
    for slug in harness.all_slugs():
        for student, nb in harness.demo_class(slug).items():
            dest = ROOT / "submitted" / f"demo-{slug[:3]}-{student}" / slug / f"{slug}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest)
        nbgrader("generate_assignment", slug, "--force")
        nbgrader("autograde", slug, "--create", "--force")
        nbgrader("generate_feedback", slug, "--force")
    nbgrader("export")
    with open(ROOT / "grades.csv", newline="") as fh:
        # export lists every student × assignment; keep the ones that were handed in
        rows = [r for r in csv.DictReader(fh) if (ROOT / "submitted" / r["student_id"] / r["assignment"]).is_dir()]
    print(f"\n{'assignment':<18}{'student':<52}{'score':>7}{'max':>7}   (max includes manually graded points)")
    for r in sorted(rows, key=lambda r: (r["assignment"], r["student_id"])):
        print(f"{r['assignment']:<18}{r['student_id']:<52}{float(r['score']):>7.1f}{float(r['max_score']):>7.1f}")
    print("\nFeedback (HTML) in feedback/, grades in grades.csv.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
