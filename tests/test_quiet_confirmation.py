"""A passing test cell says so in Dutch on stdout, a failing one does not, and the line changes no nbgrader score."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

from mlinfra.grading import CONFIRMATION, quiet

CELLS = {
    "demo": "from mlinfra.grading import quiet\nwith quiet():\n    x = 1\nprint('demo klaar')",
    "test_passes": '"""Checks that it passes."""\nimport warnings, sys\nwith quiet():\n'
    "    warnings.warn('noisy')\n    print('oops', file=sys.stderr)\n    assert x == 1, 'x moet 1 zijn'",
    "test_fails": '"""Checks that it fails."""\nwith quiet():\n    assert x == 2, "Tip: x is geen 2"',
    "test_fails_after_block": '"""Checks an assert after the block."""\nwith quiet():\n    y = 3\n'
    'assert y == 4, "Tip: y is geen 4"',
    "test_two_blocks": '"""Checks two blocks in one cell."""\nwith quiet():\n    pass\nwith quiet():\n    pass',
}


def _run() -> dict[str, nbformat.NotebookNode]:
    nb = nbformat.v4.new_notebook()
    for gid, source in CELLS.items():
        cell = nbformat.v4.new_code_cell(source)
        if gid.startswith("test_"):
            cell.metadata["nbgrader"] = {"grade": True, "grade_id": gid, "points": 1, "solution": False}
        nb.cells.append(cell)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return {gid: cell for gid, cell in zip(CELLS, nb.cells)}


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def test_confirmation_only_after_a_passing_test_cell_and_scores_unchanged():
    """In a real kernel: the confirmation follows a passing test cell once, never a failing one or a demo cell,
    and nbgrader still gives the passing cell full points and the failing ones 0."""
    cells = _run()
    assert CONFIRMATION not in _stdout(cells["demo"]), "a demo cell that uses quiet() is not a test"
    assert _stdout(cells["test_passes"]).count(CONFIRMATION) == 1, cells["test_passes"].outputs
    assert _stdout(cells["test_two_blocks"]).count(CONFIRMATION) == 1, cells["test_two_blocks"].outputs
    for gid in ("test_fails", "test_fails_after_block"):
        assert CONFIRMATION not in _stdout(cells[gid]), f"{gid}: confirmation printed by a failing test"
    assert determine_grade(cells["test_passes"]) == (1, 1)
    assert determine_grade(cells["test_two_blocks"]) == (1, 1)
    assert determine_grade(cells["test_fails"]) == (0, 1)
    assert determine_grade(cells["test_fails_after_block"]) == (0, 1)


def test_confirmation_outside_a_kernel_only_on_request(capsys):
    """Outside IPython (a script, pytest) quiet() prints nothing unless asked to confirm."""
    with quiet():
        pass
    assert capsys.readouterr().out == ""
    with quiet(confirm=True):
        pass
    assert capsys.readouterr().out.strip() == CONFIRMATION
