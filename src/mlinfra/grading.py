"""Helpers for graded test cells.

nbgrader gives a test cell 0 points as soon as anything reaches stderr (a ``UserWarning`` from torch, a tqdm bar),
even when every assertion passes. Test cells wrap their body in :func:`quiet` so that a correct answer that happens
to warn still earns its points.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    """Silence warnings and capture stderr for the duration of the block (stdout is left alone)."""
    buffer = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stderr(buffer):
            yield buffer
