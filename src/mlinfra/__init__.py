"""Helper package for the course *Open oefenvragen: ML-infrastructuur*.

Small, single-purpose modules the notebooks import. Nothing in here solves an exercise.
``from mlinfra import HEAVY, seed_everything`` loads ``mlinfra.env`` (and torch) on first use only, so the tooling
in ``mlinfra.course`` (nbgrader's feedback preprocessor, the build) starts without importing torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from mlinfra.env import HEAVY, is_grading, seed_everything

__all__ = ["HEAVY", "is_grading", "seed_everything"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module("mlinfra.env"), name)
    raise AttributeError(f"module 'mlinfra' has no attribute {name!r}")
