"""The student's Validate button: a correct notebook validates, an untouched one reports failing tests.

`nbgrader validate` exits 0 even when validation fails, so this uses nbgrader's Python API.
"""

import shutil

import nbformat
import pytest
from nbgrader.validator import Validator
from traitlets.config.loader import PyFileConfigLoader

from mlinfra.course import classroom


@pytest.fixture(autouse=True)
def _forked(fork_kernels, monkeypatch):
    """Validate's kernels come from the worker's fork server (faithful, tests/test_forkkernel.py; 9 s faster)."""
    for key, value in fork_kernels.env().items():
        monkeypatch.setenv(key, value)


def _validate(nb, question, tmp_path):
    """Validate as JupyterLab's button does: with the course's nbgrader_config.py (its cell timeout)."""
    shutil.copytree(question.source_dir, tmp_path, dirs_exist_ok=True)  # the files the notebook ships with
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, path)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(question.root)).load_config()
    return Validator(config=config).validate(str(path))


def test_correct_notebook_validates(question, tmp_path):
    """The release notebook filled in with the reference solutions passes every visible test in validate."""
    results = _validate(classroom.make_submission(question, {}), question, tmp_path)
    assert not results, (
        f"{question.slug}: validate reports "
        f"{[(k, [c.get('raw_error', '')[:200] for c in v]) for k, v in results.items()]}"
    )


def test_blank_notebook_fails_validation(question, tmp_path):
    """The untouched release notebook fails validation (no test passes trivially for a student)."""
    results = _validate(nbformat.read(question.release_nb, as_version=4), question, tmp_path)
    assert results.get("failed"), f"{question.slug}: the blank notebook validates"
    failing, tests = len(results["failed"]), len(classroom.autograded_tests(question))
    assert failing >= tests, f"{question.slug}: only {failing} cells fail in validate for {tests} tests"
