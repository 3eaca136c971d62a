"""release/ holds no solution code, no model answers and no hidden tests."""

import nbformat

from mlinfra.course import classroom

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME")


def test_release_has_no_markers(question):
    """The student notebook contains none of nbgrader's solution or hidden-test markers."""
    text = question.release_nb.read_text(encoding="utf-8")
    found = [m for m in MARKERS if m in text]
    assert not found, f"{question.release_rel} contains {found}"


def test_release_has_no_solution_or_hidden_lines(question):
    """No distinctive line of a solution, model answer or hidden test appears in the student notebook."""
    secret = classroom.secret_lines(question)
    assert secret, f"{question.slug}: no solution or hidden-test blocks found in the source notebook"
    nb = nbformat.read(question.release_nb, as_version=4)
    release_lines = {ln.strip() for c in nb.cells for ln in c.source.splitlines()}
    leaked = sorted(secret & release_lines)
    assert not leaked, f"{question.release_rel} leaks: {leaked[:5]}"


def test_release_has_stubs_and_no_outputs(question):
    """Every solution cell in the release is a Dutch stub, and no cell carries outputs."""
    nb = nbformat.read(question.release_nb, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert "JOUW CODE HIER" in cell.source or "JOUW ANTWOORD HIER" in cell.source, cell.source[:200]
