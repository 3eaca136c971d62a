"""nbgrader configuration for the course. Every path is relative to this file, so a copy of the repository works."""

from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets)

HERE = Path(__file__).resolve().parent
(HERE / "gradebook").mkdir(exist_ok=True)
# The course's own exchange (gitignored), so formgrader's Release and Collect work after `make lab`; nbgrader sets
# its permissions when it releases the first assignment.
(HERE / "exchange").mkdir(exist_ok=True)

c.CourseDirectory.root = str(HERE)
c.CourseDirectory.course_id = "ml-infra"
c.CourseDirectory.db_url = f"sqlite:///{HERE / 'gradebook' / 'gradebook.db'}"
c.Exchange.root = str(HERE / "exchange")

# Dutch stubs in the student notebooks; the exception a blank exercise raises tells the student what to do next.
c.ClearSolutions.code_stub = {
    "python": "# JOUW CODE HIER\n"
    'raise NotImplementedError("Deze opgave is nog niet gemaakt: vervang deze regel door je eigen code '
    'en draai daarna deze cel en de tests eronder opnieuw.")'
}
c.ClearSolutions.text_stub = "JOUW ANTWOORD HIER"

# Per-cell timeout while grading: demos shrink under NBGRADER_EXECUTION, so no single cell needs long.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
# On a loaded machine (a class graded in parallel, CI) output after a cell can arrive later than nbclient's 4 s.
c.Execute.iopub_timeout = 30

# Feedback goes to students: strip the hidden tests from it. nbgrader's ClearHiddenTests removes their source only;
# the traceback of a failed hidden test still quotes its lines, so those are reduced to the Dutch message first.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "mlinfra.course.feedback.HideHiddenTestTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# A graded test cell the student deleted is put back and run (with a visible note), instead of silently scoring 0.
c.OverwriteCells.add_missing_cells = True
