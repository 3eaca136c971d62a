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

# What a student reads when Validate fails. nbgrader 0.9 configures only part of it:
# - Validate (the JupyterLab button and `nbgrader validate`) runs the notebook in a kernel started with these extra
#   arguments; IPython's Minimal traceback mode reduces each failing cell's error to one line, the exception and its
#   message (the Dutch hint of the assert, or the Dutch stub message), instead of a page of traceback. Scoped to the
#   Validator, so autograde and the feedback keep full tracebacks for the instructor.
# - The summary lines below are printed by `nbgrader validate` in a terminal. The JupyterLab dialog does not use
#   them: its title, "The following cell failed:" and "Success! Your notebook passes all the tests." are fixed
#   English strings in nbgrader's lab extension, which no configuration reaches.
c.Validator.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]
c.Validator.failed_warning = (
    "{num_failed} TEST(S) MISLUKT. Lever je het notebook zo in, dan krijg je niet alle punten. Hieronder staat per "
    "mislukte cel de tip; pas je code aan en draai de cel opnieuw.\n"
)
c.Validator.changed_warning = (
    "{num_changed} TESTCEL(LEN) ZIJN VERANDERD. Bij het nakijken gelden de oorspronkelijke tests: zet de cellen "
    "terug (of begin opnieuw vanuit release/).\n"
)
c.Validator.type_changed_warning = (
    "VAN {num_changed} CEL(LEN) IS HET TYPE VERANDERD (code ↔ markdown). Zet het celtype terug, anders telt de "
    "cel bij het nakijken niet mee.\n"
)
c.Validator.passed_warning = "{num_passed} CEL(LEN) SLAGEN.\n"
