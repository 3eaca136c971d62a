"""Data for the notebooks: small synthetic sets generated on the fly, and the shipped digits images (no downloads)."""

from __future__ import annotations

import csv
import operator
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


def make_blobs(
    n: int = 512, num_features: int = 2, num_classes: int = 3, spread: float = 1.0, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian blobs for classification: ``X`` float32 of shape (n, num_features), ``y`` int64 of shape (n,)."""
    for name, value in {"n": n, "num_features": num_features, "num_classes": num_classes}.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} moet een positief geheel getal zijn, niet {value!r}")
    if num_classes > n:
        raise ValueError(f"num_classes ({num_classes}) mag niet groter zijn dan n ({n})")
    g = torch.Generator().manual_seed(seed)
    centers = 3.0 * torch.randn(num_classes, num_features, generator=g)
    y = torch.arange(n) % num_classes
    y = y[torch.randperm(n, generator=g)]
    X = centers[y] + spread * torch.randn(n, num_features, generator=g)
    return X.float(), y.long()


def make_regression(
    n: int = 256, num_features: int = 4, noise: float = 0.1, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Linear regression data: ``X`` (n, num_features), ``y`` (n, 1), both float32."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n moet een positief geheel getal zijn, niet {n!r}")
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, num_features, generator=g)
    w = torch.randn(num_features, 1, generator=g)
    y = X @ w + noise * torch.randn(n, 1, generator=g)
    return X, y


# --- The shipped digits data set (questions 3 and 6) -------------------------------------------------------------


def digits_root() -> Path:
    """The folder with the shipped digits: ``images/NNNN.png`` and ``labels.csv`` (see its README.md)."""
    return Path(__file__).resolve().parent / "datasets" / "digits"


class DigitsDataset(Dataset):
    """Handwritten digits from a folder with ``images/*.png`` and ``labels.csv`` (header ``filename,label``).

    ``dataset[i]`` returns ``(image, label)``: ``image`` a float32 tensor of shape ``(1, H, W)`` with values in
    [0, 1] (8x8 for the shipped data), ``label`` a Python ``int`` 0..9 (the default collate makes it int64).
    Row ``i`` of ``labels.csv`` is sample ``i``; the file names and labels are in ``self.filenames`` and
    ``self.labels``. ``transform``, if given, is applied to the float image tensor.

    The CSV and the presence of every image are checked on construction; a corrupt image raises when it is read.
    """

    def __init__(self, root: str | Path | None = None, transform: Callable[[torch.Tensor], torch.Tensor] | None = None):
        self.root = digits_root() if root is None else Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"De datamap {self.root} bestaat niet (verwacht: een map met images/ en labels.csv)"
            )
        csv_path = self.root / "labels.csv"
        if not csv_path.is_file():
            raise FileNotFoundError(f"Het labelbestand {csv_path} ontbreekt")
        if transform is not None and not callable(transform):
            raise TypeError(
                f"transform moet een functie of torchvision-transform zijn, niet {type(transform).__name__}"
            )
        self.transform = transform
        self.image_dir = self.root / "images"
        self.filenames, self.labels = _read_labels_csv(csv_path)
        missing = [name for name in self.filenames if not (self.image_dir / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} afbeelding(en) uit {csv_path.name} ontbreken in {self.image_dir}, "
                f"bijvoorbeeld {missing[0]!r}"
            )

    def __len__(self) -> int:
        return len(self.filenames)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if isinstance(index, bool):
            raise TypeError("index moet een geheel getal zijn, niet bool")
        try:
            index = operator.index(index)  # int, numpy integer, 0-d integer tensor
        except TypeError:
            raise TypeError(f"index moet een geheel getal zijn, niet {type(index).__name__}") from None
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} valt buiten de dataset (lengte {len(self)})")
        from PIL import Image

        path = self.image_dir / self.filenames[index]
        try:
            with Image.open(path) as pil_image:
                pil_image = pil_image.convert("L")  # convert() decodes: a truncated file fails here, not later
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"Afbeelding {path} ontbreekt (staat wel in labels.csv)") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise ValueError(f"Afbeelding {path} is beschadigd of geen geldige afbeelding: {exc}") from exc
        image = pil_to_float(pil_image)
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


def pil_to_float(pil_image) -> torch.Tensor:
    """A grayscale PIL image as float32 ``(1, H, W)`` in [0, 1].

    Bit-identical to ``torchvision.transforms.v2``'s ``ToImage()`` + ``ToDtype(torch.float32, scale=True)`` (tested),
    without importing torchvision, which costs seconds in every kernel and every DataLoader worker that spawns.
    """
    pixels = torch.from_numpy(np.array(pil_image, dtype=np.uint8, copy=True))
    return pixels.unsqueeze(0).to(torch.float32).mul_(1.0 / 255)


def _read_labels_csv(csv_path: Path) -> tuple[list[str], list[int]]:
    """Parse ``filename,label`` rows; every problem becomes a Dutch ``ValueError`` naming the line."""
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"Het labelbestand {csv_path} is leeg (verwacht de kop 'filename,label')")
    header = [cell.strip() for cell in rows[0]]
    if header != ["filename", "label"]:
        raise ValueError(f"{csv_path.name} moet beginnen met de kop 'filename,label', niet {','.join(rows[0])!r}")
    filenames: list[str] = []
    labels: list[int] = []
    for line_number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise ValueError(f"{csv_path.name} regel {line_number}: verwacht 2 kolommen, vond {len(row)}: {row!r}")
        name, label_text = row[0].strip(), row[1].strip()
        if not name:
            raise ValueError(f"{csv_path.name} regel {line_number}: lege bestandsnaam")
        try:
            label = int(label_text)
        except ValueError:
            raise ValueError(
                f"{csv_path.name} regel {line_number}: label {label_text!r} is geen geheel getal"
            ) from None
        if not 0 <= label <= 9:
            raise ValueError(f"{csv_path.name} regel {line_number}: label {label} ligt niet in 0..9")
        filenames.append(name)
        labels.append(label)
    if not filenames:
        raise ValueError(f"Het labelbestand {csv_path} bevat een kop maar geen enkele rij")
    if len(set(filenames)) != len(filenames):
        duplicate = next(name for name in filenames if filenames.count(name) > 1)
        raise ValueError(f"{csv_path.name}: bestandsnaam {duplicate!r} komt meer dan eens voor")
    return filenames, labels


def digits_loader(
    batch_size: int = 64,
    *,
    shuffle: bool = True,
    seed: int = 0,
    num_workers: int = 0,
    root: str | Path | None = None,
    drop_last: bool = False,
) -> DataLoader:
    """A ``DataLoader`` over :class:`DigitsDataset` whose shuffle order is fixed by ``seed`` (a seeded generator)."""
    for name, value, minimum in (("batch_size", batch_size, 1), ("num_workers", num_workers, 0), ("seed", seed, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{name} moet een geheel getal >= {minimum} zijn, niet {value!r}")
    dataset = DigitsDataset(root)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        drop_last=drop_last,
        generator=generator,
    )
