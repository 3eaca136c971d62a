"""`make bench-grading`: plain `nbgrader autograde` against `mlinfra grade` on one synthetic class → bench/grading.md.

The class: for each question (default: the two cheapest to grade) the reference solution, the blank release and
wrong answers from tests/submissions/ (solution copies when a question has too few), in two identical throw-away
courses. The same run grades one course with plain nbgrader (one `nbgrader autograde <q>` per question, plain
kernels) and the other with `mlinfra grade` (parallel workers, fork kernels; the fork server's start counted), checks
that every notebook scores identically cell for cell, and splits the seconds per notebook into nbgrader (start and
bookkeeping), kernel start, imports (the setup cell) and the notebook's own code (the other cells), read from the
execution timestamps nbclient writes into each graded notebook.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from mlinfra.course import forkkernel, grade
from mlinfra.course.classroom import Classroom, make_submission, wrong_answers
from mlinfra.course.nbgrader_cli import nbgrader_env
from mlinfra.course.registry import registry

QUESTIONS = ("q01_zero_grad", "q10_map_location")
PER_QUESTION = 15

_KERNEL_PROBE = """
import sys, time
from jupyter_client.manager import start_new_kernel
for _ in range(int(sys.argv[1])):
    t = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3")
    kc.execute_interactive("pass", timeout=120)
    print("SECONDS", time.perf_counter() - t, flush=True)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
"""


def synthetic_class(q, n: int) -> dict[str, nbformat.NotebookNode]:
    students = {
        "solution": nbformat.read(q.source_nb, as_version=4),
        "blank": nbformat.read(q.release_nb, as_version=4),
    }
    for wrong in wrong_answers(q)[: n - 2]:
        students[wrong.student] = make_submission(q, wrong.cells)
    for i in range(2, n - len(students) + 2):
        students[f"solution-{i}"] = nbformat.read(q.source_nb, as_version=4)
    return students


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def cell_times(path: Path) -> dict[str, float] | None:
    """first cell start, last cell end (epoch s), setup-cell seconds and seconds of all other cells."""
    spans = []
    for cell in nbformat.read(path, as_version=4).cells:
        ex = cell.metadata.get("execution", {})
        if cell.cell_type == "code" and "iopub.status.busy" in ex and "iopub.status.idle" in ex:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            spans.append((gid, _ts(ex["iopub.status.busy"]), _ts(ex["iopub.status.idle"])))
    if not spans:
        return None
    setup = sum(b - a for gid, a, b in spans if gid == "setup")
    code = sum(b - a for gid, a, b in spans if gid != "setup")
    return {"first": min(a for _, a, _ in spans), "last": max(b for _, _, b in spans), "setup": setup, "code": code}


def kernel_start(env: dict[str, str], reps: int = 3) -> float:
    """Median seconds from asking for a ``python3`` kernel to its first reply, with this environment."""
    out = subprocess.run(
        [sys.executable, "-c", _KERNEL_PROBE, str(reps)], env=env, capture_output=True, text=True, check=True
    ).stdout
    return statistics.median(float(ln.split()[1]) for ln in out.splitlines() if ln.startswith("SECONDS "))


def nbgrader_start(course: Path, assignment: str, reps: int = 2) -> float:
    """Median seconds of an `nbgrader autograde` that finds nothing to grade (start-up, config, gradebook)."""
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "nbgrader",
                "autograde",
                assignment,
                "--student",
                "nobody-here",
                "--log-level=ERROR",
            ],
            cwd=course,
            env=nbgrader_env(),
            capture_output=True,
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", nargs="+", default=list(QUESTIONS))
    p.add_argument("--per-question", type=int, default=PER_QUESTION)
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    reg = registry()
    out = args.out or reg.root / "bench" / "grading.md"
    qs = [reg.question(s) for s in args.questions]
    tmp = Path(tempfile.mkdtemp(prefix="mlinfra-bench-grading-"))
    rooms = {mode: Classroom(reg.root, tmp / mode) for mode in ("plain", "mlinfra")}
    n = 0
    for q in qs:
        students = synthetic_class(q, args.per_question)
        n += len(students)
        for room in rooms.values():
            room.add_assignment(q)
            for name, nb in students.items():
                room.submit(q, name, nb)
    load_before = os.getloadavg()
    print(f"{n} notebooks, {len(qs)} questions; load average {load_before[0]:.2f}", flush=True)

    # plain nbgrader: one autograde per question, plain kernels
    t = time.perf_counter()
    for q in qs:
        rooms["plain"].nbgrader("autograde", q.slug, "--create", "--force", check=False)
    plain_seconds = time.perf_counter() - t
    print(f"plain nbgrader: {plain_seconds:.0f} s", flush=True)

    # mlinfra grade: parallel workers, fork kernels (the server's start is part of the time)
    t = time.perf_counter()
    with (
        forkkernel.ForkServer(env=nbgrader_env()) as server,
        forkkernel.ForkServer(env=nbgrader_env(), modules=forkkernel.NBGRADER_PRELOAD) as runner,
    ):
        server_start = server.start_seconds + runner.start_seconds
        not_isolated = grade.isolation_unavailable()
        results = grade.grade(rooms["mlinfra"].dir, workers=args.workers, server=server, runner=runner)
    mlinfra_seconds = time.perf_counter() - t
    results = [r for r in results if r.status != "not-submitted"]  # a student of one question is absent in another
    load_after = os.getloadavg()
    print(f"mlinfra grade: {mlinfra_seconds:.0f} s (fork server start {server_start:.0f} s)", flush=True)

    # identical scores, cell for cell
    plain_course = grade.Course(rooms["plain"].dir)
    mismatches, compared = [], 0
    for r in results:
        path = rooms["plain"].dir / "autograded" / r.student / r.assignment / f"{r.assignment}.ipynb"
        plain = plain_course.read_scores(r.assignment, r.student) if path.exists() else None
        mine = (r.score, r.max_score, r.cells) if r.score is not None else None
        compared += 1
        if plain != mine:
            mismatches.append(f"{r.assignment}/{r.student}: plain {plain} ≠ mlinfra {mine}")

    # seconds per notebook, split
    with forkkernel.ForkServer(env=nbgrader_env()) as server:
        fork_kernel = kernel_start({**nbgrader_env(), **server.env()})
    plain_kernel = kernel_start(nbgrader_env())
    nb_start = nbgrader_start(rooms["plain"].dir, qs[0].slug)
    plain_cells = [
        c
        for r in results
        if (c := cell_times(rooms["plain"].dir / "autograded" / r.student / r.assignment / f"{r.assignment}.ipynb"))
    ]
    p_total = plain_seconds / n
    p_imp, p_code = mean(c["setup"] for c in plain_cells), mean(c["code"] for c in plain_cells)
    ml_rows = []
    for r in results:
        c = cell_times(rooms["mlinfra"].dir / "autograded" / r.student / r.assignment / f"{r.assignment}.ipynb")
        if c and r.kernel_started_at:
            kernel = c["first"] - r.kernel_started_at
            ml_rows.append((r.seconds, r.seconds - kernel - c["setup"] - c["code"], kernel, c["setup"], c["code"]))
    m_lat = [mean(row[i] for row in ml_rows) for i in range(5)]
    m_total = mlinfra_seconds / n
    cores = os.cpu_count() or 1
    speedup = plain_seconds / mlinfra_seconds
    import nbgrader
    import torch

    statuses = ", ".join(
        f"{s} {sum(r.status == s for r in results)}" for s in grade.STATUSES if any(r.status == s for r in results)
    )
    lines = [
        "# Grading a class: plain `nbgrader autograde` against `mlinfra grade`",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `make bench-grading`"
        f" (scripts/bench_grading.py) on {cores} cores ({platform.machine()}),"
        f" Python {platform.python_version()}, torch {torch.__version__}, nbgrader {nbgrader.__version__}."
        f" Load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after"
        " (other jobs shared the machine when the load exceeds the core count, making absolute times pessimistic;"
        " both runs saw the same conditions within minutes of each other, plain first).",
        "",
        f"Synthetic class: {n} notebooks — {', '.join(q.slug for q in qs)}, each with the reference solution, the"
        f" blank release and wrong answers from `tests/submissions/` ({args.per_question} per question).",
        "",
        "## Throughput",
        "",
        "| | plain `nbgrader autograde` | `mlinfra grade` |",
        "|---|---:|---:|",
        f"| workers | 1 (one run per question) | {args.workers} (one `nbgrader autograde --student` each) |",
        f"| wall time for {n} notebooks | {plain_seconds:.0f} s | {mlinfra_seconds:.0f} s"
        f" (incl. {server_start:.0f} s starting the kernel fork server and the nbgrader runner) |",
        f"| notebooks per minute | {60 * n / plain_seconds:.1f} | {60 * n / mlinfra_seconds:.1f} |",
        f"| wall seconds per notebook | {p_total:.1f} | {m_total:.1f} |",
        f"| seconds per notebook per core | {p_total:.1f} (one core used) | {m_total * cores:.1f} |",
        f"| speed-up | 1.0× | **{speedup:.2f}×** |",
        "",
        f"Identical scores: {compared - len(mismatches)} of {compared} notebooks score the same cell for cell"
        f" (and in total) in both gradebooks. Statuses in the mlinfra run: {statuses}.",
        "",
        "Isolation: "
        + (
            "every `mlinfra grade` kernel ran sandboxed (own mount, network and PID namespaces; read-only file"
            " system but its own folder; other submissions, the gradebook and the solutions hidden); plain nbgrader"
            " isolates nothing."
            if not_isolated is None
            else f"**not isolated** on this machine ({not_isolated}); plain nbgrader isolates nothing either."
        ),
        *(f"- MISMATCH {m}" for m in mismatches),
        "",
        "## Where one notebook's seconds go",
        "",
        "Plain: wall time per notebook of the serial run; kernel start measured apart (median of 3 `start_new_kernel`"
        " with the stock kernelspec), imports and code from the graded notebooks' cell timestamps, nbgrader = the rest"
        f" (its own start alone, an autograde with nothing to do: {nb_start:.1f} s, paid once per question)."
        " mlinfra: the latency of one worker's `nbgrader autograde --student`, forked from a runner with nbgrader"
        " imported (the workers share the cores), kernel start = fork to first cell, nbgrader = the rest (config,"
        " gradebook, writing; paid per notebook).",
        "",
        "| seconds per notebook | plain nbgrader | mlinfra grade (one worker) |",
        "|---|---:|---:|",
        f"| nbgrader (start, bookkeeping) | {p_total - plain_kernel - p_imp - p_code:.1f} | {m_lat[1]:.1f} |",
        f"| kernel start | {plain_kernel:.1f} | {m_lat[2]:.1f} (forked; alone: {fork_kernel:.2f}) |",
        f"| imports (setup cell) | {p_imp:.1f} | {m_lat[3]:.1f} |",
        f"| notebook's own code | {p_code:.1f} | {m_lat[4]:.1f} |",
        f"| total | {p_total:.1f} | {m_lat[0]:.1f} |",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"written to {out}; courses in {tmp}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
