"""Tiny models used across the notebooks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

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


def saved_for_backward(
    model: nn.Module, x: torch.Tensor, context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
) -> tuple[bool, int]:
    """Forward ``x`` through ``model`` under ``context()`` (e.g. ``torch.no_grad``); return whether the output has an
    autograd graph and how many bytes of tensors autograd kept for a backward (the parameters themselves not counted).

    Counted with :func:`torch.autograd.graph.saved_tensors_hooks`; nothing is changed in ``model`` or ``x``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model moet een nn.Module zijn, niet {type(model).__name__}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x moet een torch.Tensor zijn, niet {type(x).__name__}")
    param_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal saved
        if t.untyped_storage().data_ptr() not in param_storages:
            saved += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), context():
        out = model(x)
    return bool(out.requires_grad), saved
