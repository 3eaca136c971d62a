"""Plot defaults and the few figure types the notebooks share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt


def set_style() -> None:
    """Readable defaults for every figure in the course."""
    plt.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "font.size": 11,
        }
    )


def plot_curves(
    curves: Mapping[str, Sequence[float]], title: str, xlabel: str = "stap", ylabel: str = "loss", logy: bool = False
):
    """One line per named curve; returns the matplotlib ``Axes``."""
    if not curves:
        raise ValueError("plot_curves heeft minstens één curve nodig")
    fig, ax = plt.subplots()
    for name, values in curves.items():
        ax.plot(range(len(values)), list(values), label=name, linewidth=2)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    return ax
