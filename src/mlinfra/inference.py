"""Timing and size measurements for CPU inference (question 9). Nothing in here solves an exercise.

Timings follow the course rules: a warm-up that is not counted, a fixed number of torch threads, and the median of
the repeats. Variants are timed round-robin (one call of each variant per round), so a burst of load on a shared
machine hits every variant alike instead of one of them.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import torch


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)`` and restore the previous value afterwards."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n moet een positief geheel getal zijn, niet {n!r}")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def time_variants(
    variants: Mapping[str, Callable[[torch.Tensor], object]],
    x: torch.Tensor,
    repeats: int = 10,
    warmup: int = 2,
    threads: int = 1,
) -> dict[str, list[float]]:
    """Seconds per call of every variant on input ``x``: ``warmup`` uncounted calls each, then ``repeats`` rounds.

    Each round calls every variant once (round-robin). Calls run under ``torch.inference_mode()`` with
    ``threads`` torch threads; the previous thread count is restored afterwards.
    """
    if not variants:
        raise ValueError("time_variants heeft minstens één variant nodig")
    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise ValueError(f"repeats moet een positief geheel getal zijn, niet {repeats!r}")
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise ValueError(f"warmup moet een geheel getal >= 0 zijn, niet {warmup!r}")
    for name, fn in variants.items():
        if not callable(fn):
            raise TypeError(f"variant {name!r} is geen functie maar een {type(fn).__name__}")
    times: dict[str, list[float]] = {name: [] for name in variants}
    with num_threads(threads), torch.inference_mode():
        for fn in variants.values():
            for _ in range(warmup):
                fn(x)
        for _ in range(repeats):
            for name, fn in variants.items():
                start = time.perf_counter()
                fn(x)
                times[name].append(time.perf_counter() - start)
    return times


def median_ms(times: list[float]) -> float:
    """The median of a list of durations in seconds, in milliseconds."""
    if not times:
        raise ValueError("median_ms heeft minstens één meting nodig")
    return 1000.0 * statistics.median(times)


def compare_outputs(reference: torch.Tensor, other: torch.Tensor) -> dict[str, float]:
    """Max absolute difference, that difference relative to max |reference|, and top-1 agreement (rows)."""
    if not isinstance(other, torch.Tensor):
        raise TypeError(f"verwacht een torch.Tensor, kreeg {type(other).__name__}")
    if other.shape != reference.shape:
        raise ValueError(f"vorm {tuple(other.shape)} wijkt af van de referentie {tuple(reference.shape)}")
    reference, other = reference.detach().float(), other.detach().float()
    max_abs = (other - reference).abs().max().item()
    return {
        "max_abs": max_abs,
        "rel": max_abs / max(reference.abs().max().item(), 1e-12),
        "top1": (other.argmax(dim=-1) == reference.argmax(dim=-1)).float().mean().item(),
    }


def distribution_bytes(name: str) -> int:
    """Bytes on disk of the files an installed distribution lists in its RECORD (0 if it is not installed)."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return 0
    total = 0
    for file in dist.files or []:
        path = Path(dist.locate_file(file))
        with contextlib.suppress(OSError):
            if path.is_file():
                total += path.stat().st_size
    return total


def installed_distributions(prefixes: tuple[str, ...]) -> dict[str, int]:
    """Installed distributions whose normalised name starts with one of ``prefixes`` → bytes on disk, largest first."""
    found: dict[str, int] = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name and name not in found and name.startswith(prefixes):
            found[name] = distribution_bytes(name)
    return dict(sorted(found.items(), key=lambda item: -item[1]))
