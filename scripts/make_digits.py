"""Export scikit-learn's bundled handwritten digits as PNG files plus a labels.csv (no network).

Writes ``src/mlinfra/datasets/digits/``:

- ``images/NNNN.png``: 1,797 grayscale 8x8 PNGs, pixel = round(value * 255 / 16) as uint8;
- ``labels.csv``: header ``filename,label``, one row per image, sorted by filename;
- ``README.md``: source, licence and how to regenerate.

Deterministic: running it twice gives byte-identical files. Usage::

    .venv/bin/python scripts/make_digits.py
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

ROOT = Path(__file__).resolve().parents[1] / "src" / "mlinfra" / "datasets" / "digits"

README = """\
# Digits: 1,797 handwritten digits as 8x8 grayscale PNG files

Shipped with the course so that questions 3 and 6 run offline (Binder, exams).

- `images/NNNN.png`: image number `NNNN` (0000..1796), 8x8 pixels, grayscale, uint8.
  Pixel value = `round(v * 255 / 16)` where `v` in 0..16 is the original count of ink pixels per 4x4 block.
- `labels.csv`: header `filename,label`, one row per image, sorted by filename; `label` is the digit 0..9.

## Source
UCI Machine Learning Repository, *Optical Recognition of Handwritten Digits* (E. Alpaydin, C. Kaynak, 1998),
https://doi.org/10.24432/C50P49 — the copy bundled with scikit-learn (`sklearn.datasets.load_digits()`, the test set
of the UCI data: 1,797 images), exported unchanged apart from the scaling above.

## Licence
Creative Commons Attribution 4.0 International (CC BY 4.0), https://creativecommons.org/licenses/by/4.0/ —
as stated for this data set by the UCI Machine Learning Repository. Attribution: Alpaydin, E. & Kaynak, C. (1998).
Optical Recognition of Handwritten Digits [Dataset]. UCI Machine Learning Repository.

## Regenerate
```
.venv/bin/python scripts/make_digits.py
```
No network: it reads scikit-learn's bundled copy. The output is deterministic (byte-identical on every run).
"""


def main() -> None:
    digits = load_digits()
    images = np.rint(digits.images * 255.0 / 16.0).astype(np.uint8)
    labels = digits.target.astype(int)
    image_dir = ROOT / "images"
    if image_dir.exists():
        shutil.rmtree(image_dir)
    image_dir.mkdir(parents=True)
    rows = []
    for index, (pixels, label) in enumerate(zip(images, labels)):
        filename = f"{index:04d}.png"
        Image.fromarray(pixels, mode="L").save(image_dir / filename, format="PNG", optimize=False)
        rows.append((filename, int(label)))
    rows.sort()
    with open(ROOT / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["filename", "label"])
        writer.writerows(rows)
    (ROOT / "README.md").write_text(README, encoding="utf-8")
    print(f"wrote {len(rows)} images and labels.csv to {ROOT}")


if __name__ == "__main__":
    main()
