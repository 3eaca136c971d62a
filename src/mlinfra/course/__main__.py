"""``python -m mlinfra.course`` / ``mlinfra``: the instructor's command line.

mlinfra build [--only SLUG]   notebooks/ → source/ → release/ (+ README table)
mlinfra check                 fail, naming each stale file, when source/ or release/ drift from notebooks/
mlinfra questions             list the questions and their paths
mlinfra grade [--course DIR]  autograde every submission in parallel workers (mlinfra.course.grade)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlinfra.course import build as build_mod
from mlinfra.course.registry import CourseError, registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlinfra", description="Course tooling for Open oefenvragen")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: found from cwd)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build source/, release/ and the README table")
    b.add_argument("--only", metavar="SLUG", help="build one question (no gradebook, README untouched)")
    c = sub.add_parser("check", help="verify that source/, release/ and README are in sync with notebooks/")
    c.add_argument("--only", metavar="SLUG", help="check one question")
    sub.add_parser("questions", help="list the questions")
    g = sub.add_parser("grade", help="autograde every submission of the course in parallel workers")
    g.add_argument("--course", type=Path, default=None, help="nbgrader course folder (default: the repository root)")
    g.add_argument("--workers", "-j", type=int, default=None, help="parallel nbgrader runs (default: cores)")
    g.add_argument("--assignment", "-a", action="append", help="grade only this assignment (repeatable)")
    g.add_argument("--students", default=None, help="grade only students matching this glob (a shard)")
    g.add_argument("--wall", type=float, default=600, help="seconds per notebook before its kernel is killed (0: off)")
    g.add_argument("--memory-mb", type=float, default=3072, help="MiB the kernel may allocate (0: no limit)")
    g.add_argument("--cell-timeout", type=float, default=0, help="nbgrader's per-cell timeout (0: course config)")
    g.add_argument("--db-url", default="", help="gradebook URL (default: the course's SQLite gradebook)")
    g.add_argument("--json", default="", help="also write every result to this JSON file")
    args = parser.parse_args(argv)
    if args.command == "grade":
        from mlinfra.course import grade as grade_mod

        args.course = (args.course or registry(args.root).root).resolve()
        return grade_mod.main(args)
    try:
        reg = registry(args.root)
        if args.command == "build":
            files = build_mod.build(reg, use_db=args.only is None, only=args.only)
            print(f"built {1 if args.only else len(reg.questions)} question(s), {len(files)} files")
        elif args.command == "check":
            problems = build_mod.check(reg, only=args.only)
            if problems:
                print("Out of sync with notebooks/:", *problems, sep="\n  ", file=sys.stderr)
                return 1
            print(f"source/, release/ and README.md are in sync with notebooks/ ({len(reg.questions)} questions)")
        elif args.command == "questions":
            for q in reg.questions:
                print(f"{q.number:>2}  {q.slug:<28} {q.release_rel}")
        return 0
    except CourseError as exc:
        print(f"{args.command} error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
