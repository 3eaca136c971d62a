"""mlinfra.cuda_fixture: the CUDA-tagged checkpoint of question 10 is tagged as claimed and leaves no trace behind."""

import pickle
from pathlib import Path

import pytest
import torch
import torch.serialization as serialization

from mlinfra import cuda_fixture

SHIPPED = Path(__file__).resolve().parents[1] / "notebooks" / "q10_map_location_files" / cuda_fixture.FIXTURE_NAME
CUDA_ERROR = (
    "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are "
    "running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map "
    "your storages to the CPU."
)


def _expected_tags() -> list[str]:
    checkpoint, tags = cuda_fixture.fixture_checkpoint()
    # Storages are numbered in the order the pickler meets them: model first, then the optimizer state.
    seen, out = set(), []
    for t in [
        *checkpoint["model"].values(),
        *(v for s in checkpoint["optimizer"]["state"].values() for v in s.values()),
    ]:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in seen:
            seen.add(ptr)
            out.append(tags.get(ptr, "cpu"))
    return out


@pytest.mark.parametrize("path", ["shipped", "fresh"])
def test_fixture_tags_match_the_recipe(path, tmp_path):
    """data.pkl of the shipped and of a freshly made fixture records cuda:0 / cuda:1 / cpu exactly as designed."""
    p = SHIPPED if path == "shipped" else cuda_fixture.make_fixture(tmp_path / "c.pt")
    records = cuda_fixture.storage_records(p)
    assert [r["location"] for r in records] == _expected_tags()
    assert {r["location"] for r in records} == {"cpu", "cuda:0", "cuda:1"}
    assert SHIPPED.stat().st_size < 20_000


def test_tagging_leaves_the_registry_as_it_was(tmp_path):
    """After cuda_tagging (also when the save fails) the registry is unchanged and new saves are tagged cpu."""
    before = list(serialization._package_registry)
    cuda_fixture.make_fixture(tmp_path / "c.pt")
    with pytest.raises(ZeroDivisionError), cuda_fixture.cuda_tagging({}):
        raise ZeroDivisionError
    assert serialization._package_registry == before
    torch.save({"w": torch.ones(2)}, tmp_path / "plain.pt")
    assert {r["location"] for r in cuda_fixture.storage_records(tmp_path / "plain.pt")} == {"cpu"}


@pytest.mark.skipif(torch.cuda.is_available(), reason="the error only exists without CUDA")
def test_loading_without_map_location_raises_the_real_error():
    """torch.load of the shipped fixture without map_location raises torch's CUDA error, word for word."""
    with pytest.raises(RuntimeError) as info:
        torch.load(SHIPPED, weights_only=True)
    assert str(info.value) == CUDA_ERROR


def test_shipped_values_equal_the_recipe():
    """Loaded onto the CPU, the shipped fixture holds exactly the tensors fixture_checkpoint() builds."""
    loaded = torch.load(SHIPPED, map_location="cpu", weights_only=True)
    checkpoint, _ = cuda_fixture.fixture_checkpoint()
    assert loaded["epoch"] == checkpoint["epoch"]
    for k, v in checkpoint["model"].items():
        assert torch.equal(loaded["model"][k], v)
    for i, state in checkpoint["optimizer"]["state"].items():
        for k, v in state.items():
            assert torch.equal(loaded["optimizer"]["state"][i][k], v)


def test_find_fixture_and_subprocess(tmp_path):
    """find_fixture uses a shipped file when present and otherwise regenerates it; the subprocess maker agrees."""
    path, how = cuda_fixture.find_fixture(SHIPPED.parent)
    assert path == SHIPPED and how == "meegeleverd"
    before = list(serialization._package_registry)
    path, how = cuda_fixture.find_fixture(tmp_path)
    assert path.is_file() and how != "meegeleverd"
    fresh = cuda_fixture.make_fixture_in_subprocess(tmp_path / "sub" / "c.pt")
    assert serialization._package_registry == before
    assert [r["location"] for r in cuda_fixture.storage_records(path)] == _expected_tags()
    assert cuda_fixture.tensor_locations(fresh) == cuda_fixture.tensor_locations(SHIPPED)


def test_storage_records_runs_no_code_from_the_file(tmp_path):
    """Reading the tags replays no global from the pickle, so a booby-trapped checkpoint stays inert."""
    called = []
    global _trap
    _trap = lambda: called.append(1)  # noqa: E731

    class Payload:
        def __reduce__(self):
            return (_trap_call, ())

    torch.save({"w": torch.ones(1), "x": Payload()}, tmp_path / "evil.pt")
    records = cuda_fixture.storage_records(tmp_path / "evil.pt")
    assert [r["location"] for r in records] == ["cpu"] and not called
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / "evil.pt", weights_only=True)


def _trap_call():
    _trap()


def test_bad_input_gets_a_dutch_error(tmp_path):
    """Non-CUDA tags and non-checkpoint files are refused with a message."""
    with pytest.raises(ValueError, match="CUDA"):
        with cuda_fixture.cuda_tagging({1: "cpu"}):
            pass
    (tmp_path / "x.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    with pytest.raises(ValueError, match="geen torch-zipcheckpoint"):
        cuda_fixture.storage_records(tmp_path / "x.zip")
