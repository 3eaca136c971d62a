"""The student's view in a real browser: JupyterLab as `make lab` starts it, driven by headless Chromium.

One Lab server and one browser serve the whole module (notebooks run one after the other). For every release
notebook, opened by the path its Binder link uses: Run All (continuing below each failing exercise, as a student
must on the blank notebook), every code cell runs, errors appear only in exercise and test cells, plots and printed
output render, and ipywidgets controls respond (labels aligned, one figure, a static figure for readers without
widgets). nbgrader's Validate button fails the blank notebook, one Dutch line per failing cell, and passes the
solved one; the formgrader lists the assignments and has a working exchange. Screenshots go to
``.artifacts/browser/`` (gitignored). Chromium missing is a failure, never a skip: `make browser-deps` installs it.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from mlinfra.course import browser, classroom
from mlinfra.course.registry import registry

REG = registry(Path(__file__).resolve().parents[1])
ARTIFACTS = Path(os.environ.get("MLINFRA_ARTIFACTS", REG.root / ".artifacts")) / "browser"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TIMEOUT_MS = 60_000  # page loads, selectors, Validate
RUN_SECONDS = 300  # one Run All round of one notebook on a loaded 2-core machine


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A Lab server on a copy of the course and a headless Chromium; nothing of either survives the module."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_factory.mktemp("browser")
    server = browser.LabServer(browser.copy_course(REG, tmp / "course"), tmp / "state")
    pids: set[int] = set()
    try:
        server.start()
        with browser.chromium() as (context, browser_pids):
            context.set_default_timeout(TIMEOUT_MS)
            yield server, context
            pids |= browser_pids
    except browser.BrowserError as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        pids |= server.pids()
        server.stop()
        left = browser.alive(pids)
        (ARTIFACTS / "jupyter-lab.log").write_text(server.log(), encoding="utf-8")
    assert not left, f"processes left behind by the browser suite: {left}"


def open_notebook(lab, rel_path: str):
    server, context = lab
    page = context.new_page()
    page.goto(server.url(f"lab/tree/{rel_path}?reset"))  # a fresh workspace: no tab of an earlier test comes back
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-NotebookPanel .jp-Notebook')")
    assert page.evaluate(browser.WAIT_NOTEBOOK_JS), f"{rel_path}: the notebook opened without a kernel"
    return page


def close_notebook(page) -> None:
    """Shut the kernel down (memory on a 2-core, few-GB machine) and close the tab."""
    page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext.shutdown(); }")
    page.close()


def stub_message() -> str:
    """The Dutch message of the NotImplementedError in an exercise's stub (nbgrader_config.py's code_stub)."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REG.root)).load_config()
    m = re.search(r"NotImplementedError\((['\"])(.+)\1\)", config.ClearSolutions.code_stub["python"])
    return m.group(2) if m else ""


def expected_error(cell: dict, error: dict) -> bool:
    """A failing exercise (stub) or test cell is what a blank notebook shows. Another cell may fail only with the
    stub's own Dutch message (a demo that calls the student's function); anything else is a bug in the notebook."""
    meta = cell["nbgrader"] or {}
    if meta.get("solution") or meta.get("grade"):
        return True
    message = stub_message()
    return bool(message) and error["ename"] == "NotImplementedError" and error["evalue"] == message


def first_line(cell: dict) -> str:
    return cell["head"].splitlines()[0] if cell["head"] else ""


# Every control's description label in a widget cell: its right edge, and whether it sits on the control's row.
LABELS_JS = """node => [...node.querySelectorAll(
    '.widget-slider, .widget-hslider, .widget-toggle-buttons, .widget-dropdown')]
  .map(w => { const label = w.querySelector('.widget-label'); if (!label || !label.innerText.trim()) return null;
              const l = label.getBoundingClientRect(), c = w.lastElementChild.getBoundingClientRect();
              return {label: label.innerText, right: l.right, inline: l.right <= c.left + 1 && l.bottom > c.top}; })
  .filter(Boolean)"""


def check_widgets(page, slug: str) -> dict:
    """Every widget renders; moving the first slider with the keyboard redraws the figure of its cell."""
    page.wait_for_selector(".widget-slider .noUi-handle, .widget-hslider .noUi-handle", state="attached")
    counts = page.evaluate(
        """() => ({sliders: document.querySelectorAll('.widget-slider, .widget-hslider').length,
                  toggles: document.querySelectorAll('.widget-toggle-buttons').length,
                  failed: document.querySelectorAll('.jupyter-widgets-error-widget, .jp-WidgetError').length})"""
    )
    assert counts["sliders"] > 0 and counts["failed"] == 0, f"{slug}: widgets did not render: {counts}"
    handle = page.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle").first
    handle.scroll_into_view_if_needed()
    cell = handle.locator("xpath=ancestor::div[contains(@class, 'jp-Cell')][1]")
    figure = cell.locator(".jp-RenderedImage img").last
    figure.wait_for(state="visible")
    before = figure.get_attribute("src")
    page.screenshot(path=str(ARTIFACTS / f"{slug}-widgets-before.png"))
    handle.focus()
    page.keyboard.press("ArrowRight")  # one step: the figure then shows the value the slider shows
    t0 = time.monotonic()
    page.wait_for_function(
        """([node, before]) => { const img = [...node.querySelectorAll('.jp-RenderedImage img')].pop();
                                 return img && img.src !== before && img.complete && img.naturalWidth > 0; }""",
        arg=[cell.element_handle(), before],
        timeout=60_000,
    )
    counts["redraw_seconds"] = round(time.monotonic() - t0, 1)
    figures = cell.locator(".jp-RenderedImage img").count()
    assert figures == 1, f"{slug}: the widgets' cell shows {figures} figures (a static copy next to the widget's own?)"
    labels = cell.evaluate(LABELS_JS)
    rights = {round(lab["right"]) for lab in labels} or {0}
    assert max(rights) - min(rights) <= 2 and all(lab["inline"] for lab in labels), (
        f"{slug}: the controls' labels are not aligned left of their controls: {labels}"
    )
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus === 'idle'")
    handle.evaluate("node => node.closest('.jp-OutputArea').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{slug}-widgets-after.png"))
    return counts


def test_release_notebook_runs_in_the_browser(question, lab):
    """Opened by its Binder path, Run All (continued past each failing exercise) runs every cell; only exercise and
    test cells fail, plots and printed output render, and widgets respond."""
    t0 = time.monotonic()
    page = open_notebook(lab, question.release_rel)
    try:
        result = page.evaluate(browser.RUN_THROUGH_JS, [200, RUN_SECONDS])
        assert "timeout" not in [s["stopped"] for s in result["stops"]], f"{question.slug}: Run All hung: {result}"
        code = [c for c in result["cells"] if c["type"] == "code"]
        not_run = [f"cell {c['index']}: {first_line(c)}" for c in code if c["execution_count"] is None]
        assert not not_run, f"{question.slug}: cells that never ran: {not_run[:5]} (stops: {result['stops']})"
        unexpected = [
            f"cell {c['index']} ({first_line(c)}): {o['ename']}: {o['evalue']}"
            for c in code
            for o in c["outputs"]
            if o["output_type"] == "error" and not expected_error(c, o)
        ]
        assert not unexpected, f"{question.slug}: errors outside exercise/test cells:\n" + "\n".join(unexpected)
        outputs = [o for c in code for o in c["outputs"]]
        assert any(o["output_type"] == "stream" and o["name"] == "stdout" for o in outputs), "no printed output"
        rendered = page.evaluate(browser.RENDERED_JS)
        has_plot = any("image/png" in o["mimes"] for o in outputs)
        assert has_plot, f"{question.slug}: no plot among the outputs"
        assert rendered["images_loaded"] >= 1 and rendered["stdout"] >= 1, f"{question.slug}: rendered {rendered}"
        page.locator(".jp-OutputArea-output.jp-RenderedImage img").first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"{question.slug}-run-all.png"))
        ships_widgets = "ipywidgets" in question.release_nb.read_text(encoding="utf-8")
        if ships_widgets:
            assert any(WIDGET_MIME in o["mimes"] for o in outputs), f"{question.slug}: no widget output"
            assert any(WIDGET_MIME in o["mimes"] and "image/png" in o["mimes"] for o in outputs), (
                f"{question.slug}: no widget output carries a static figure for a reader without widgets"
            )
            rendered["widgets"] = check_widgets(page, question.slug)
    finally:
        close_notebook(page)
    print(f"{question.slug}: {time.monotonic() - t0:.1f} s, stops {len(result['stops'])}, rendered {rendered}")


def validate(page) -> tuple[str, str]:
    """Click the Validate button in the notebook's toolbar; the result dialog's class and text."""
    button = page.locator(".jp-NotebookPanel-toolbar .jp-ToolbarButtonComponent", has_text="Validate")
    assert button.count() == 1, "nbgrader's Validate button is missing from the notebook toolbar"
    button.click()
    dialog = page.locator(".jp-Dialog .validation-failed, .jp-Dialog .validation-success, .jp-Dialog pre").first
    dialog.wait_for(state="attached")
    kind = dialog.get_attribute("class") or ""
    text = page.locator(".jp-Dialog").inner_text()
    return kind, text


def test_validate_fails_blank_and_passes_solved_notebook(lab):
    """Validate in the toolbar reports every visible test failing on the blank release and success on the solved
    notebook (the instructor's source), for the first question."""
    question = REG.questions[0]
    page = open_notebook(lab, question.release_rel)
    try:
        kind, text = validate(page)
        page.screenshot(path=str(ARTIFACTS / f"{question.slug}-validate-blank.png"))
        assert "validation-failed" in kind, f"blank {question.slug}: Validate says {text[:500]}"
        failing = text.count("The following cell failed")
        tests = len(classroom.autograded_tests(question))
        assert failing >= tests, f"blank {question.slug}: {failing} failing cells reported for {tests} tests"
        # nbgrader_config.py: Validate's kernel prints each error as one line, the Dutch message, no traceback.
        assert f"NotImplementedError: {stub_message()}" in text, f"blank {question.slug}: no Dutch stub message"
        for marker in ("Traceback (most recent call last)", "Cell In["):
            assert marker not in text, f"blank {question.slug}: Validate shows full tracebacks ({marker!r})"
    finally:
        close_notebook(page)
    solved = question.source_nb.relative_to(question.root).as_posix()
    page = open_notebook(lab, solved)
    try:
        kind, text = validate(page)
        page.screenshot(path=str(ARTIFACTS / f"{question.slug}-validate-solved.png"))
        assert "validation-success" in kind, f"solved {question.slug}: Validate says {text[:800]}"
        assert "passes all the tests" in text
    finally:
        close_notebook(page)


def test_formgrader_lists_assignments_with_a_working_exchange(lab):
    """The instructor's formgrader opens, lists every question as an assignment and can release and collect."""
    server, context = lab
    page = context.new_page()
    try:
        page.goto(server.url("formgrader/manage_assignments"))
        page.wait_for_function(  # the table body (id main-table) is filled by the page's JavaScript
            "(n) => document.querySelectorAll('#main-table tr td a').length >= n", arg=len(REG.questions)
        )
        text = page.locator("#main-table").inner_text()
        missing = [q.slug for q in REG.questions if q.slug not in text]
        assert not missing, f"formgrader does not list {missing}"
        warnings = page.locator(".alert-warning").all_inner_texts()
        assert not warnings, f"formgrader warns: {warnings}"
        page.screenshot(path=str(ARTIFACTS / "formgrader.png"))
    finally:
        page.close()
