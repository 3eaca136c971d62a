"""Feedback without hidden tests.

nbgrader's ``ClearHiddenTests`` removes the hidden lines from a test cell's *source*, but a failed hidden assertion
leaves a traceback in the cell's *output*, and IPython's traceback quotes the failing line and its neighbours
(jupyter/nbgrader#917, #1363). :class:`HideHiddenTestTracebacks` runs before ``ClearHiddenTests`` in
``GenerateFeedback``: in every test cell that holds hidden tests it replaces each traceback by the exception's type
and message — the Dutch hint the test author wrote — and a note that the test's code is not shown.
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN_MARKER = "BEGIN HIDDEN TESTS"
NOTE = "(Deze test bevat verborgen controles; hun code wordt in de feedback niet getoond.)"


class HideHiddenTestTracebacks(Preprocessor):
    """Reduce error outputs of test cells with hidden tests to ``ename: evalue`` plus a Dutch note."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and HIDDEN_MARKER in cell.source:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    summary = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                    output.traceback = [summary, NOTE]
        return cell, resources
