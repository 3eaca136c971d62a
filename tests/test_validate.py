"""The student's Validate button: a correct notebook validates, an untouched one reports failing tests.

`nbgrader validate` exits 0 even when validation fails, so this uses nbgrader's Python API.
"""
import nbformat
from nbgrader.validator import Validator

import harness


def _validate(nb, tmp_path):
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, path)
    return Validator().validate(str(path))


def test_correct_notebook_validates(slug, tmp_path):
    """The release notebook filled in with the reference solutions passes every visible test in validate."""
    results = _validate(harness.make_submission(slug, {}), tmp_path)
    assert not results, f"{slug}: validate reports {[(k, [c.get('raw_error', '')[:200] for c in v]) for k, v in results.items()]}"


def test_blank_notebook_fails_validation(slug, tmp_path):
    """The untouched release notebook fails validation (no test passes trivially for a student)."""
    results = _validate(nbformat.read(harness.release_nb(slug), as_version=4), tmp_path)
    assert results.get("failed"), f"{slug}: the blank notebook validates"
    failing = len(results["failed"])
    assert failing >= len(harness.autograded_tests(slug)), (
        f"{slug}: only {failing} cells fail in validate for {len(harness.autograded_tests(slug))} tests")
