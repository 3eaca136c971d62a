"""Every instructor notebook runs top to bottom, headless, CPU only, as a reader runs it.

(The same notebooks under nbgrader's autograde mode are checked by the round trip in test_grading.py.)
"""

import os
import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def test_notebook_executes_as_reader(question, tmp_path):
    """The source notebook executes without error with the full demos (no NBGRADER_EXECUTION), on the CPU."""
    nb = nbformat.read(question.source_nb, as_version=4)
    shutil.copytree(question.source_dir, tmp_path, dirs_exist_ok=True)  # with the files it ships
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    env["CUDA_VISIBLE_DEVICES"] = ""  # only for the kernel: the test process keeps its environment
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        pytest.fail(f"{question.slug} failed in a cell:\n{str(exc)[:4000]}")
    stderr_in_tests = [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
        and c.cell_type == "code"
        and any(o.get("name") == "stderr" for o in c.outputs)
    ]
    assert not stderr_in_tests, f"{question.slug}: graded cells write to stderr (scored 0): {stderr_in_tests}"
