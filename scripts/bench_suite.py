"""Benchmark the whole test suite (what `make test` runs) and write bench/test-suite.md.

Runs pytest on WORKERS workers with per-test durations, then records the total wall time, each question's round
trip (from the conftest summary line), and the slowest tests. Measure on an idle machine: other load skews it.
Usage: python scripts/bench_suite.py [--workers 2] [extra pytest args]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time

from mlinfra.course.registry import registry

HISTORY = "## History"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log", help="also write pytest's whole output (every duration) to this file")
    args, extra = parser.parse_known_args(argv)
    reg = registry()
    cmd = [sys.executable, "-m", "pytest", "-n", str(args.workers), "-p", "no:cacheprovider", "--durations=0", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=reg.root, capture_output=True, text=True)
    wall = time.perf_counter() - start
    out = proc.stdout
    if args.log:
        with open(args.log, "w", encoding="utf-8") as fh:
            fh.write(out + proc.stderr)
    sys.stdout.write(out[-3000:])
    trips = re.findall(r"(q\d\d_[a-z0-9_]+) x(\d+) \(([\d.+]+) s\)", out)
    result = (re.findall(r"^=+ (.*) in [\d.]+s", out, re.M) or ["?"])[-1]
    slow = re.findall(r"^([\d.]+)s (call|setup)\s+(\S+)", out, re.M)[:12]
    phases = dict(re.findall(r"^  (q\d\d_[a-z0-9_]+): (\d+ s: .*)$", out, re.M))
    load = os.getloadavg()
    lines = [
        "# Test-suite benchmark",
        "",
        f"`scripts/bench_suite.py --workers {args.workers}` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}; load average at the end "
        f"{load[0]:.1f} (an idle machine reads < 0.5 before the run).",
        "",
        f"- result: {result}, exit code {proc.returncode}",
        f"- wall time: {wall / 60:.1f} min for {len(reg.questions)} questions",
        "",
        "| question | round trips | round-trip seconds | where the time went |",
        "|---|---|---|---|",
        *[f"| {slug} | {n} | {secs} | {phases.get(slug, '')} |" for slug, n, secs in trips],
        "",
        "Slowest steps (setup of a round-trip test includes the nbgrader run it waits for):",
        "",
        "| seconds | phase | test |",
        "|---|---|---|",
        *[f"| {s} | {phase} | `{test}` |" for s, phase, test in slow],
    ]
    (reg.root / "bench").mkdir(exist_ok=True)
    target = reg.root / "bench" / "test-suite.md"
    old = target.read_text(encoding="utf-8") if target.exists() else ""
    at = old.find("\n" + HISTORY + "\n")  # the heading on a line of its own, not a mention in prose
    history = old[at + 1 :] if at >= 0 else ""  # earlier measurements, kept by hand
    target.write_text("\n".join(lines) + "\n\n" + history, encoding="utf-8")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
