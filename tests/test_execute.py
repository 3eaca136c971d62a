"""Every instructor notebook runs top to bottom, headless, CPU only, as a reader and as nbgrader would run it."""
import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import harness


@pytest.mark.parametrize("mode", ["reader", "autograde"])
def test_notebook_executes(slug, mode, tmp_path):
    """The source notebook executes without error in the given mode."""
    nb = nbformat.read(harness.source_nb(slug), as_version=4)
    saved = os.environ.get("NBGRADER_EXECUTION")
    if mode == "autograde":
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    else:
        os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    try:
        client = NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}})
        try:
            client.execute()
        except CellExecutionError as exc:
            pytest.fail(f"{slug} ({mode}) failed in a cell:\n{str(exc)[:4000]}")
    finally:
        if saved is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = saved
    stderr_in_tests = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                       if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
                       and any(o.get("name") == "stderr" for o in c.outputs)]
    assert not stderr_in_tests, f"{slug}: graded cells write to stderr (nbgrader would score them 0): {stderr_in_tests}"
