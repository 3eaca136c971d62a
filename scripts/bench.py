"""Measure each notebook's runtime and peak kernel memory, as a reader and under nbgrader's autograde mode.

Budgets (CONTRIBUTING.md): under 60 s and 1.2 GB RSS on 2 cores as a reader; under autograde the notebook's own
code (the cells after the setup cell) <= 5 s. Results go to stdout and to
bench/results-<build>.md, one file per torch build (the CUDA wheel maps ~1 GB of libraries at `import torch`, the
CPU wheel that Binder and the README recommend ~250 MB), because memory depends on it more than on the notebook.
Usage: python scripts/bench.py [slug ...]   (run it with the interpreter whose torch you want to measure)
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from mlinfra.course.registry import registry

BUDGET_S, BUDGET_MB, BUDGET_OWN_S = 60.0, 1200.0, 5.0


def run_one(nb_path: str, mode: str) -> dict:
    """Execute one notebook in this process; the kernel is our child, so RUSAGE_CHILDREN gives its peak RSS."""
    import nbformat
    from nbclient import NotebookClient

    if mode == "autograde":
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    nb = nbformat.read(nb_path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(Path(nb_path).parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    own = _own_code_seconds(nb)
    return {"seconds": round(seconds, 1), "own_s": round(own, 1), "peak_mb": round(_children_peak_mb())}


def _own_code_seconds(nb) -> float:
    """Seconds spent in the notebook's cells after the setup cell (which starts the kernel's imports)."""
    from datetime import datetime

    total = 0.0
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade_id") == "setup" or not timing:
            continue
        begin, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if begin and end:
            parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
            total += (parse(end) - parse(begin)).total_seconds()
    return total


def _children_peak_mb() -> float:
    """Peak RSS of the largest finished child process, in MB (10^6 bytes; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6


def baseline_mb() -> float:
    """Peak RSS of a bare `import torch, matplotlib.pyplot`: what every notebook pays before its first cell."""
    code = (
        "import subprocess, sys, resource; subprocess.run([sys.executable, '-c', "
        "'import torch, matplotlib.pyplot'], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6)"
    )
    return float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(run_one(argv[1], argv[2])))
        return 0
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    reg = registry()
    questions = [reg.question(s) for s in argv] if argv else reg.questions
    base = baseline_mb()
    print(f"baseline (import torch, matplotlib): {base:.0f} MB", flush=True)
    rows, over = [], False
    for q in questions:
        for mode in ("reader", "autograde"):
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(q.source_nb), mode], capture_output=True, text=True
            )
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                return 1
            r = json.loads(out.stdout.strip().splitlines()[-1])
            ok = r["seconds"] < BUDGET_S and r["peak_mb"] < BUDGET_MB
            ok &= mode != "autograde" or r["own_s"] <= BUDGET_OWN_S
            over |= not ok
            rows.append(
                f"| {q.slug} | {mode} | {r['seconds']:.1f} | {r['own_s']:.1f} | {r['peak_mb']} "
                f"| {r['peak_mb'] - base:.0f} "
                f"| {'ok' if ok else 'OVER BUDGET'} |"
            )
            print(rows[-1], flush=True)
    import torch

    build = "cuda" if torch.version.cuda else "cpu"
    out_file = reg.root / "bench" / f"results-{build}.md"
    if argv and out_file.exists():  # only some questions measured: keep the other questions' rows
        measured = {tuple(r.split("|")[1:3]) for r in rows}
        kept = [
            line
            for line in out_file.read_text(encoding="utf-8").splitlines()
            if line.startswith("| q") and tuple(line.split("|")[1:3]) not in measured
        ]
        rows = sorted([*kept, *rows], key=lambda r: (r.split("|")[1], r.split("|")[2] != " reader "))
    table = "\n".join(
        [
            "| notebook | mode | seconds | own code (s) | peak kernel RSS (MB) | above import baseline (MB) | budget |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    header = (
        f"# Notebook benchmark, torch {torch.__version__} ({build} build)\n\n"
        f"Measured by `scripts/bench.py` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. Budget: < {BUDGET_S:.0f} s and "
        f"< {BUDGET_MB:.0f} MB per notebook; under autograde <= {BUDGET_OWN_S:.0f} s of own code (the cells after "
        f"the setup cell). Wall time includes kernel start and `import torch`. "
        f"Baseline: a bare `import torch, matplotlib.pyplot` peaks at {base:.0f} MB with this build.\n\n"
    )
    notes = ""  # a hand-written "## Notes" section below the table survives every re-measure
    if out_file.exists():
        old = out_file.read_text(encoding="utf-8")
        if "\n## Notes" in old:
            notes = "\n" + old[old.index("\n## Notes") + 1 :].rstrip() + "\n"
    (reg.root / "bench").mkdir(exist_ok=True)
    out_file.write_text(header + table + "\n" + notes, encoding="utf-8")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
