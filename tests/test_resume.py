"""Unit tests for mlinfra.resume, the demo machinery of question 4 (checkpoints)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from mlinfra import seed_everything
from mlinfra.resume import FIELDS, flat_parameters, load_data, make_run, resume, snapshot, train


@pytest.fixture(scope="module")
def data():
    return load_data(n=64)


def _reference_and_half_run(X, y):
    """Parameters after 2 uninterrupted epochs, and a fresh identically seeded run stopped after 1 epoch."""
    seed_everything(0)
    run = make_run(X, y, seed=0)
    train(run, 0, 2)
    reference = flat_parameters(run.model)
    seed_everything(0)
    run = make_run(X, y, seed=0)
    train(run, 0, 1)
    return reference, run


def test_full_snapshot_resumes_bitwise(data):
    X, y = data
    reference, run = _reference_and_half_run(X, y)
    assert torch.equal(flat_parameters(resume(X, y, snapshot(run, epoch=1), 2).model), reference)


@pytest.mark.parametrize("field", ["optimizer", "rng.numpy", "rng.generator"])
def test_leaving_out_a_field_changes_the_result(data, field):
    X, y = data
    reference, run = _reference_and_half_run(X, y)
    resumed = flat_parameters(resume(X, y, snapshot(run, epoch=1), 2, skip=(field,)).model)
    assert not torch.equal(resumed, reference)


def test_snapshot_is_a_copy(data):
    X, y = data
    run = make_run(X, y, seed=0)
    snap = snapshot(run, epoch=0)
    train(run, 0, 1)
    assert not torch.equal(snap["model"]["0.weight"], run.model[0].weight.detach())


def test_bad_arguments_get_dutch_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="seed"):
        make_run(X, y, seed=-1)
    with pytest.raises(ValueError, match="onbekende velden"):
        resume(X, y, snapshot(make_run(X, y), epoch=0), 1, skip=("optimiser",))
    assert "rng.generator" in FIELDS


def test_script_rejects_missing_arguments():
    proc = subprocess.run([sys.executable, "-m", "mlinfra.resume"], capture_output=True, text=True)
    assert proc.returncode != 0 and "--epochs" in proc.stderr
