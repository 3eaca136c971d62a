"""Small synthetic data sets, generated on the fly (no downloads)."""
from __future__ import annotations

import torch


def make_blobs(n: int = 512, num_features: int = 2, num_classes: int = 3, spread: float = 1.0,
               seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
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


def make_regression(n: int = 256, num_features: int = 4, noise: float = 0.1,
                    seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Linear regression data: ``X`` (n, num_features), ``y`` (n, 1), both float32."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n moet een positief geheel getal zijn, niet {n!r}")
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, num_features, generator=g)
    w = torch.randn(num_features, 1, generator=g)
    y = X @ w + noise * torch.randn(n, 1, generator=g)
    return X, y
