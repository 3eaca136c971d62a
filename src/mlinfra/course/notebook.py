"""``notebooks/qNN_slug.py`` (jupytext py:percent) → a normalised nbgrader instructor notebook.

nbgrader metadata lives in the cell header, e.g.::

    # %% nbgrader={"grade_id": "train_step", "solution": true}
    # %% nbgrader={"grade_id": "test_train_step_updates_weights", "grade": true, "points": 1}
    # %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
    # %% nbgrader={"grade_id": "setup", "locked": true}

The conversion fills in the rest of nbgrader's schema, gives every cell a stable id (the grade_id, or a hash of
the cell's content) and strips outputs, so that converting twice gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import jupytext
import nbformat

from mlinfra.course.registry import CourseError

GRADE_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
#: Solution and test cells carry this tag, so that "Run All" in JupyterLab goes on past a stub or a failing test
#: and every later demo still appears for the student; nbgrader scores a cell by its error output either way.
RUN_THROUGH_TAG = "raises-exception"
NBGRADER_KEYS = {"grade_id", "grade", "solution", "locked", "points", "task", "schema_version"}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class BuildError(CourseError):
    """A notebook source that cannot be turned into a valid nbgrader notebook."""


def normalise_nbgrader(meta: dict, where: str) -> dict:
    """nbgrader's full cell metadata from the short form written in a cell header."""
    unknown = set(meta) - NBGRADER_KEYS
    if unknown:
        raise BuildError(f"{where}: unknown nbgrader keys {sorted(unknown)}")
    grade_id = meta.get("grade_id")
    if not isinstance(grade_id, str) or not GRADE_ID_RE.match(grade_id):
        raise BuildError(f"{where}: an nbgrader cell needs a grade_id of letters, digits, - and _ (got {grade_id!r})")
    grade = bool(meta.get("grade", False))
    solution = bool(meta.get("solution", False))
    out = {
        "grade": grade,
        "grade_id": grade_id,
        # A test cell and a read-only cell are locked; a solution cell never is.
        "locked": bool(meta.get("locked", grade and not solution)) and not solution,
        "schema_version": 3,
        "solution": solution,
        "task": bool(meta.get("task", False)),
    }
    if grade or out["task"]:
        points = meta.get("points")
        if not isinstance(points, (int, float)) or points <= 0:
            raise BuildError(f"{where}: graded cell {grade_id!r} needs points > 0")
        out["points"] = points
    return out


def _stable_id(cell, taken: set[str]) -> str:
    digest = hashlib.sha1(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()
    base = f"{cell.cell_type[:2]}-{digest[:10]}"
    cell_id, n = base, 1
    while cell_id in taken:
        n += 1
        cell_id = f"{base}-{n}"
    return cell_id


def _check_test_cell(cell, norm: dict, where: str) -> None:
    if norm["grade"] and not norm["solution"] and cell.cell_type == "code":
        if "BEGIN HIDDEN TESTS" in cell.source and not cell.source.split("### BEGIN HIDDEN TESTS")[0].strip():
            raise BuildError(
                f"{where}: test cell {norm['grade_id']!r} has only hidden tests; "
                "students would see it pass in validate. Give it a visible part."
            )


def _may_raise(cell) -> bool:
    """A test cell fails until the exercise is solved; a solution cell raises the stub's NotImplementedError."""
    nb_meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and (nb_meta.get("grade", False) or nb_meta.get("solution", False))


def _check_restorable(norm: dict, previous: dict | None, where: str) -> None:
    """nbgrader puts a deleted graded cell back after the previous nbgrader cell, which it can find in the
    submission only when that cell is a solution or graded cell (a locked-only cell makes autograde crash)."""
    if norm["grade"] and previous is not None and not (previous["grade"] or previous["solution"]):
        raise BuildError(
            f"{where}: graded cell {norm['grade_id']!r} follows the locked cell {previous['grade_id']!r}; "
            "nbgrader cannot put it back when a student deletes it. Move the locked cell above the solution cell."
        )


def py_to_notebook(path: Path) -> nbformat.NotebookNode:
    """Read one jupytext notebook and return the normalised instructor notebook."""
    nb = jupytext.read(path, fmt="py:percent")
    grade_ids: set[str] = set()
    ids: set[str] = set()
    previous: dict | None = None  # the previous cell with nbgrader metadata
    for index, cell in enumerate(nb.cells):
        where = f"{path.name}, cell {index + 1}"
        meta = dict(cell.metadata)
        nbgrader = meta.pop("nbgrader", None)
        cell.metadata = {}
        if nbgrader is not None:
            if not isinstance(nbgrader, dict):
                raise BuildError(f"{where}: nbgrader metadata must be a JSON object")
            norm = normalise_nbgrader(nbgrader, where)
            if norm["grade_id"] in grade_ids:
                raise BuildError(f"{where}: duplicate grade_id {norm['grade_id']!r}")
            grade_ids.add(norm["grade_id"])
            _check_test_cell(cell, norm, where)
            _check_restorable(norm, previous, where)
            previous = norm
            cell.metadata["nbgrader"] = norm
            cell.id = norm["grade_id"]
        else:
            cell.id = _stable_id(cell, ids | grade_ids)
        tags = list(meta.get("tags") or [])
        if _may_raise(cell) and RUN_THROUGH_TAG not in tags:
            tags.append(RUN_THROUGH_TAG)
        if tags:
            cell.metadata["tags"] = tags
        if cell.id in ids:
            raise BuildError(f"{where}: duplicate cell id {cell.id!r}")
        ids.add(cell.id)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def write_notebook(nb: nbformat.NotebookNode, dest: Path) -> None:
    """Write deterministic JSON (always ending in a newline)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    dest.write_text(text, encoding="utf-8")


def title(nb: nbformat.NotebookNode, where: str) -> str:
    """The notebook's title: the first ``# `` heading of its first markdown cell that has one."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise BuildError(f"{where}: the first markdown cell needs a '# Titel' heading")
