"""A checkpoint whose storages are tagged CUDA, made and inspected on a machine without a GPU (question 10).

``torch.save`` asks the *location taggers* in ``torch.serialization``'s registry where each storage lives and
writes that tag (``"cpu"``, ``"cuda:0"``, ...) into the archive's ``data.pkl``; ``torch.load`` hands the tag to the
matching deserializer. :func:`cuda_tagging` registers, for the duration of one ``with`` block, a tagger that reports
chosen CPU storages as ``cuda:0`` or ``cuda:1``; the file it writes is byte for byte what a GPU machine writes for
the same tags. The tagger is removed again in ``finally``, so later saves and loads in the same process are
unaffected; :func:`make_fixture_in_subprocess` does not even touch the calling process.

Command line (regenerates the fixture that ships with question 10)::

    python -m mlinfra.cuda_fixture notebooks/q10_map_location_files/checkpoint_cuda.pt

Nothing in here solves an exercise: it makes and reads the test file, it never loads it with ``torch.load``.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path

import torch
import torch.serialization as serialization

from mlinfra.models import mlp

FIXTURE_NAME = "checkpoint_cuda.pt"
TAGGER_PRIORITY = 0  # lower runs first: ours before the built-in "cpu" tagger (priority 10)


def fixture_checkpoint() -> tuple[dict, dict[int, str]]:
    """The fixture's contents, built deterministically on the CPU, and the location tag of each storage.

    The checkpoint is ``{"model": state_dict, "optimizer": Adam state_dict, "epoch": 3}`` for ``mlp(4, 8, 3)``
    after three Adam steps. As on a real two-GPU run (model parallel: the output layer on the second GPU) the
    first layer and its Adam moments are tagged ``cuda:0``, the output layer and its moments ``cuda:1``; Adam's
    ``step`` counters stay ``cpu``, as PyTorch keeps them on the CPU unless ``capturable``/``fused`` is set.

    Returns ``(checkpoint, tags)`` with ``tags`` mapping ``untyped_storage().data_ptr()`` to a location tag.
    """
    gen = torch.Generator().manual_seed(10)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(10)
        model = mlp(4, 8, 3)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    X = torch.randn(16, 4, generator=gen)
    y = torch.randint(0, 3, (16,), generator=gen)
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}
    tags: dict[int, str] = {}
    for name, p in model.named_parameters():
        tag = "cuda:1" if name.startswith("2.") else "cuda:0"  # module 2 is the output Linear
        tags[p.untyped_storage().data_ptr()] = tag
        for key in ("exp_avg", "exp_avg_sq"):
            tags[optimizer.state[p][key].untyped_storage().data_ptr()] = tag
    return checkpoint, tags


@contextlib.contextmanager
def cuda_tagging(tags: Mapping[int, str]) -> Iterator[None]:
    """While the block runs, ``torch.save`` tags the CPU storages named in ``tags`` (by data_ptr) with their tag.

    Storages not named fall through to the built-in taggers (``"cpu"``). The registered deserializer always
    returns ``None``, so loading is never changed, and the entry leaves the registry in ``finally``.
    """
    bad = [t for t in tags.values() if not isinstance(t, str) or not t.startswith("cuda")]
    if bad:
        raise ValueError(f"alleen CUDA-tags zijn bedoeld, niet {bad!r}")

    def tagger(storage) -> str | None:
        if storage.device.type == "cpu":
            return tags.get(storage.data_ptr())
        return None

    def deserializer(storage, location: str) -> None:
        return None

    before = list(serialization._package_registry)
    serialization.register_package(TAGGER_PRIORITY, tagger, deserializer)
    try:
        yield
    finally:
        # torch has no unregister: drop our entry (register_package wraps it in a new tuple, so match the tagger).
        serialization._package_registry[:] = [e for e in serialization._package_registry if e[1] is not tagger]
        assert serialization._package_registry == before, "the location-tagger registry was not restored"


def make_fixture(path: str | os.PathLike) -> Path:
    """Write the CUDA-tagged fixture checkpoint to ``path`` (in this process; the tagger is removed afterwards)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoint, tags = fixture_checkpoint()
    with cuda_tagging(tags):
        torch.save(checkpoint, path)
    return path


def make_fixture_in_subprocess(path: str | os.PathLike, timeout: float = 120) -> Path:
    """Write the fixture from a fresh Python process, so the caller's tagger registry is never touched."""
    path = Path(path).resolve()
    proc = subprocess.run(
        [sys.executable, "-m", "mlinfra.cuda_fixture", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    if proc.returncode != 0 or not path.is_file():
        raise RuntimeError(f"het maken van {path.name} mislukte:\n{proc.stdout}\n{proc.stderr}")
    return path


def find_fixture(folder: str | os.PathLike = ".") -> tuple[Path, str]:
    """The shipped fixture next to the notebook; regenerated into a temp dir when it is missing.

    Regenerating happens in this process (milliseconds; a subprocess costs seconds, too slow for nbgrader's
    validate timeout) inside :func:`cuda_tagging`, which restores the registry before returning.
    Returns ``(path, how)`` where ``how`` says which of the two happened, for the notebook to print.
    """
    shipped = Path(folder) / FIXTURE_NAME
    if shipped.is_file():
        return shipped, "meegeleverd"
    target = Path(tempfile.mkdtemp(prefix="q10-fixture-")) / FIXTURE_NAME
    return make_fixture(target), "opnieuw gemaakt in een tijdelijke map (niet gevonden naast het notebook)"


class _Opaque:
    """Stands in for every global in data.pkl except OrderedDict: nothing from the file is ever called."""

    def __init__(self, name: str, args: tuple = ()):
        self.name, self.args = name, args

    def __call__(self, *args, **kwargs) -> _Opaque:
        return _Opaque(self.name, args)

    def __setstate__(self, state) -> None:  # BUILD on a stand-in: ignore
        pass

    def __repr__(self) -> str:
        return f"<{self.name}>"


class _RecordingUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self.records: list[dict] = []

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        return _Opaque(f"{module}.{name}")

    def persistent_load(self, pid):
        # A storage is saved as ('storage', storage_type, key, location, numel).
        kind, storage_type, key, location, numel = pid
        record = {"key": key, "location": location, "numel": numel, "type": repr(storage_type).strip("<>")}
        self.records.append(record)
        return _Opaque("storage", (key, location))


def data_pkl(path: str | os.PathLike) -> bytes:
    """The raw bytes of ``data.pkl`` inside a torch zip checkpoint."""
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(names) != 1:
            raise ValueError(f"{path} is geen torch-zipcheckpoint met één data.pkl (gevonden: {names})")
        return archive.read(names[0])


def storage_records(path: str | os.PathLike) -> list[dict]:
    """One dict per storage in the checkpoint (key, location tag, numel, storage type), read from data.pkl.

    The pickle is replayed with every global replaced by an inert stand-in, so no code from the file runs and no
    tensor is created: this reads the tags even where ``torch.load`` would refuse the file.
    """
    unpickler = _RecordingUnpickler(data_pkl(path))
    unpickler.load()
    return unpickler.records


def tensor_locations(path: str | os.PathLike) -> dict[str, str]:
    """``"model/0.weight"`` → location tag, for every tensor in the checkpoint, read from data.pkl like
    :func:`storage_records` (no code from the file runs)."""
    found: dict[str, str] = {}

    def walk(obj, prefix: str) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{prefix}/{k}" if prefix else str(k))
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                walk(v, f"{prefix}/{i}")
        elif isinstance(obj, _Opaque) and obj.name.endswith("_rebuild_tensor_v2") and obj.args:
            storage = obj.args[0]
            if isinstance(storage, _Opaque) and storage.name == "storage":
                found[prefix] = storage.args[1]

    unpickler = _RecordingUnpickler(data_pkl(path))
    walk(unpickler.load(), "")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("gebruik: python -m mlinfra.cuda_fixture PAD/checkpoint_cuda.pt", file=sys.stderr)
        return 2
    path = make_fixture(args[0])
    tags = sorted({r["location"] for r in storage_records(path)})
    print(f"{path}: {path.stat().st_size} bytes, location tags {tags}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
