"""The course build: ``notebooks/qNN_slug.py`` → ``source/qNN_slug/`` → ``release/qNN_slug/`` (+ README table).

One way, deterministic: building twice changes nothing. ``check`` rebuilds into a temporary folder and names every
committed file that differs, which is what CI uses to catch a ``source/`` or ``release/`` that drifted.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

from mlinfra.course import readme
from mlinfra.course.nbgrader_cli import nbgrader
from mlinfra.course.notebook import BuildError, py_to_notebook, write_notebook
from mlinfra.course.registry import GENERATED, Question, Registry


def build_question(q: Question, out_root: Path, use_db: bool = True) -> list[Path]:
    """Build one question from its notebook into the course folder ``out_root``; return the files written."""
    out = q.in_course(out_root)
    write_notebook(py_to_notebook(q.notebook_py), out.source_nb)
    if q.files_dir.is_dir():
        shutil.copytree(q.files_dir, out.source_dir, dirs_exist_ok=True)
    if out.release_dir.exists():
        shutil.rmtree(out.release_dir)
    args = ["generate_assignment", q.slug, "--force", "--log-level=WARN"] + ([] if use_db else ["--no-db"])
    try:
        nbgrader(*args, cwd=out_root)
    except RuntimeError as exc:
        raise BuildError(str(exc)) from None
    return [out.source_nb, *sorted(p for p in out.release_dir.rglob("*") if p.is_file())]


def build(reg: Registry, out: Path | None = None, use_db: bool = True, only: str | None = None) -> list[Path]:
    """Build every question (or ``only`` one) into ``out`` (default: the repository itself).

    ``out`` must hold (a copy of) ``nbgrader_config.py``. The README table is rewritten when all are built.
    """
    out = out or reg.root
    questions = [reg.question(only)] if only else reg.questions
    written: list[Path] = []
    for q in questions:
        written += build_question(q, out, use_db)
    if only is None:
        (out / "README.md").write_text(readme.render(reg, out), encoding="utf-8")
        written.append(out / "README.md")
    return written


def _tree(folder: Path) -> set[str]:
    if not folder.exists():
        return set()
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
    }


def compare(reg: Registry, fresh: Path, only: str | None = None) -> list[str]:
    """One message per committed file that differs from the build in ``fresh``."""
    problems: list[str] = []
    tops = [f"{top}/{only}" for top in GENERATED] if only else list(GENERATED)
    for top in tops:
        built, committed = _tree(fresh / top), _tree(reg.root / top)
        for rel in sorted(built | committed):
            if rel not in committed:
                problems.append(f"{top}/{rel}: missing (run `make build`)")
            elif rel not in built:
                problems.append(f"{top}/{rel}: no longer produced by notebooks/ (delete it or run `make build`)")
            elif not filecmp.cmp(fresh / top / rel, reg.root / top / rel, shallow=False):
                problems.append(f"{top}/{rel}: stale, differs from notebooks/ (run `make build`)")
    if only is None and (fresh / "README.md").read_text(encoding="utf-8") != (reg.root / "README.md").read_text(
        encoding="utf-8"
    ):
        problems.append("README.md: question table is stale (run `make build`)")
    return problems


def check(reg: Registry, only: str | None = None) -> list[str]:
    """Rebuild into a temporary folder; return one message per file in the repository that differs."""
    with tempfile.TemporaryDirectory(prefix="mlinfra-check-") as tmp:
        shutil.copy2(reg.root / "nbgrader_config.py", Path(tmp) / "nbgrader_config.py")
        build(reg, Path(tmp), use_db=False, only=only)
        return compare(reg, Path(tmp), only)
