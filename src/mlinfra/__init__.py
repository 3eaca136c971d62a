"""Helper package for the course *Open oefenvragen: ML-infrastructuur*.

Small, single-purpose modules the notebooks import. Nothing in here solves an exercise.
"""

from mlinfra.env import HEAVY, is_grading, seed_everything

__all__ = ["HEAVY", "is_grading", "seed_everything"]
__version__ = "0.1.0"
