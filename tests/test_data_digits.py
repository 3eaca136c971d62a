"""Unit tests for the shipped digits data set and its loader in mlinfra.data (questions 3 and 6)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from mlinfra.data import DigitsDataset, digits_loader, digits_root

N_DIGITS = 1797


@pytest.fixture
def small_root(tmp_path: Path) -> Path:
    """A copy of the first 12 shipped digits: images/ and a labels.csv with 12 rows."""
    src = digits_root()
    (tmp_path / "images").mkdir()
    with open(src / "labels.csv", newline="") as f:
        rows = list(csv.reader(f))[:13]
    for name, _ in rows[1:]:
        shutil.copy(src / "images" / name, tmp_path / "images" / name)
    with open(tmp_path / "labels.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return tmp_path


def test_shipped_files_complete_and_documented():
    root = digits_root()
    assert root.is_dir()
    names = sorted(p.name for p in (root / "images").glob("*.png"))
    assert names == [f"{i:04d}.png" for i in range(N_DIGITS)]
    lines = (root / "labels.csv").read_text().splitlines()
    assert lines[0] == "filename,label"
    assert [line.split(",")[0] for line in lines[1:]] == names
    readme = (root / "README.md").read_text()
    assert "CC BY 4.0" in readme and "make_digits.py" in readme


def test_item_types_shapes_and_range():
    ds = DigitsDataset()
    assert len(ds) == N_DIGITS
    image, label = ds[0]
    assert image.dtype == torch.float32 and image.shape == (1, 8, 8)
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.5
    assert type(label) is int and label == 0
    assert ds[-1][1] == ds.labels[-1]


def test_matches_sklearn_copy():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    ds = DigitsDataset()
    assert ds.labels == [int(t) for t in digits.target]
    for i in (0, 1, 500, 1796):
        expected = torch.from_numpy(digits.images[i]).float() / 16
        assert torch.allclose(ds[i][0][0], expected, atol=0.5 / 255 * 1.01)


def test_transform_is_applied(small_root):
    ds = DigitsDataset(small_root, transform=lambda x: x * 0 + 0.25)
    assert torch.all(ds[3][0] == 0.25)
    with pytest.raises(TypeError, match="transform"):
        DigitsDataset(small_root, transform="flip")


def test_loader_batches_and_seed_fix_the_order():
    loader = digits_loader(batch_size=32, seed=3)
    X, y = next(iter(loader))
    assert X.shape == (32, 1, 8, 8) and X.dtype == torch.float32 and y.dtype == torch.int64
    y_again = next(iter(digits_loader(batch_size=32, seed=3)))[1]
    y_other = next(iter(digits_loader(batch_size=32, seed=4)))[1]
    assert torch.equal(y, y_again) and not torch.equal(y, y_other)
    assert isinstance(loader.generator, torch.Generator)
    unshuffled = next(iter(digits_loader(batch_size=10, shuffle=False)))[1]
    assert unshuffled.tolist() == DigitsDataset().labels[:10]


def test_loader_drop_last_and_root(small_root):
    assert len(digits_loader(batch_size=5, root=small_root)) == 3
    assert len(digits_loader(batch_size=5, root=small_root, drop_last=True)) == 2


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"batch_size": 2.5}, {"num_workers": -1}, {"seed": -1}])
def test_loader_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="moet een geheel getal"):
        digits_loader(**kwargs)


def test_missing_folder_and_csv(tmp_path):
    with pytest.raises(FileNotFoundError, match="bestaat niet"):
        DigitsDataset(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="labelbestand"):
        DigitsDataset(tmp_path)


@pytest.mark.parametrize(
    "content, match",
    [
        ("", "leeg"),
        ("filename,label\n", "geen enkele rij"),
        ("name,y\n0000.png,0\n", "kop"),
        ("filename,label\n0000.png,zes\n", "geen geheel getal"),
        ("filename,label\n0000.png,12\n", "0..9"),
        ("filename,label\n0000.png\n", "2 kolommen"),
        ("filename,label\n0000.png,0\n0000.png,0\n", "meer dan eens"),
    ],
)
def test_bad_csv_gets_dutch_error(small_root, content, match):
    (small_root / "labels.csv").write_text(content)
    with pytest.raises(ValueError, match=match):
        DigitsDataset(small_root)


def test_missing_image(small_root):
    (small_root / "images" / "0004.png").unlink()
    with pytest.raises(FileNotFoundError, match="0004.png"):
        DigitsDataset(small_root)
    ds_root = small_root
    shutil.copy(digits_root() / "images" / "0004.png", ds_root / "images" / "0004.png")
    ds = DigitsDataset(ds_root)
    (ds_root / "images" / "0004.png").unlink()
    with pytest.raises(FileNotFoundError, match="0004.png"):
        ds[4]


def test_corrupt_image(small_root):
    (small_root / "images" / "0002.png").write_bytes(b"not a png at all")
    ds = DigitsDataset(small_root)
    assert ds[1][0].shape == (1, 8, 8)
    with pytest.raises(ValueError, match="beschadigd"):
        ds[2]
    good = (small_root / "images" / "0003.png").read_bytes()
    (small_root / "images" / "0003.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="beschadigd"):
        ds[3]


def test_bad_index(small_root):
    ds = DigitsDataset(small_root)
    with pytest.raises(IndexError, match="buiten"):
        ds[12]
    with pytest.raises(TypeError, match="geheel getal"):
        ds["3"]
    assert ds[torch.tensor(3)][1] == ds[3][1]
    assert ds[np.int64(3)][1] == ds[3][1]


def test_decoding_is_torchvision_v2_bit_for_bit():
    from PIL import Image
    from torchvision.transforms import v2

    to_float = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
    ds = DigitsDataset()
    for i in range(0, len(ds), 7):
        with Image.open(ds.image_dir / ds.filenames[i]) as im:
            expected = to_float(im.convert("L")).as_subclass(torch.Tensor)
        assert torch.equal(ds[i][0], expected)


def test_transform_accepts_torchvision_v2(small_root):
    from torchvision.transforms import v2

    ds = DigitsDataset(small_root, transform=v2.RandomHorizontalFlip(p=1.0))
    assert torch.equal(ds[2][0], DigitsDataset(small_root)[2][0].flip(-1))
