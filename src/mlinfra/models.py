"""Tiny models used across the notebooks."""

from __future__ import annotations

import torch
from torch import nn


def mlp(
    in_features: int, hidden: int, out_features: int, dropout: float = 0.0, batchnorm: bool = False
) -> nn.Sequential:
    """A two-layer MLP: Linear → [BatchNorm1d] → ReLU → [Dropout] → Linear."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout moet in [0, 1) liggen, niet {dropout!r}")
    layers: list[nn.Module] = [nn.Linear(in_features, hidden)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(hidden))
    layers.append(nn.ReLU())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, out_features))
    return nn.Sequential(*layers)


def parameters_vector(model: nn.Module) -> torch.Tensor:
    """All parameters of ``model`` flattened into one detached copy (to compare weights before/after)."""
    return torch.cat([p.detach().reshape(-1).clone() for p in model.parameters()])


def grads_vector(model: nn.Module) -> torch.Tensor | None:
    """All ``.grad`` tensors flattened into one detached copy; ``None`` when no parameter has a gradient.

    Parameters without a gradient count as zeros, so the vector lines up with :func:`parameters_vector`.
    """
    params = list(model.parameters())
    if all(p.grad is None for p in params):
        return None
    return torch.cat(
        [(p.grad if p.grad is not None else torch.zeros_like(p)).detach().reshape(-1).clone() for p in params]
    )
