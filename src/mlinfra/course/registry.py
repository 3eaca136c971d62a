"""The question registry: the one place that knows where each file of a question lives.

Every question is a ``notebooks/qNN_slug.py`` whose number appears in ``[[tool.mlinfra.questions]]`` of
``pyproject.toml``. Build, README table, tests, benchmark and grading all ask this module for paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SLUG_RE = re.compile(r"^q(\d{2})_[a-z0-9_]+$")
#: Folders written by hand and folders the build generates from them (one way: notebooks → source → release).
AUTHORED = ("notebooks",)
GENERATED = ("source", "release")


class CourseError(Exception):
    """The course tree or its configuration is not what the tooling expects."""


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder upwards that holds ``nbgrader_config.py``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise CourseError(f"no nbgrader_config.py in {here} or any folder above it")


@dataclass(frozen=True)
class Question:
    """One question of the course and every path that belongs to it, relative to a course root."""

    root: Path
    number: int
    slug: str
    topic: str

    # --- authored by hand ---
    @property
    def notebook_py(self) -> Path:
        """The single source of the question (jupytext py:percent)."""
        return self.root / AUTHORED[0] / f"{self.slug}.py"

    @property
    def files_dir(self) -> Path:
        """Data files that ship with the question; the build copies them next to the notebook."""
        return self.root / AUTHORED[0] / f"{self.slug}_files"

    @property
    def submissions_dir(self) -> Path:
        """Wrong (and correct-but-unusual) answers as TOML files, for the grading round trip."""
        return self.root / "tests" / "submissions" / self.slug

    # --- generated ---
    @property
    def source_dir(self) -> Path:
        return self.root / GENERATED[0] / self.slug

    @property
    def source_nb(self) -> Path:
        """The instructor notebook (nbgrader's source)."""
        return self.source_dir / f"{self.slug}.ipynb"

    @property
    def release_dir(self) -> Path:
        return self.root / GENERATED[1] / self.slug

    @property
    def release_nb(self) -> Path:
        """The student notebook (what Binder opens)."""
        return self.release_dir / f"{self.slug}.ipynb"

    @property
    def release_rel(self) -> str:
        """The release notebook's path relative to the root, as links spell it."""
        return self.release_nb.relative_to(self.root).as_posix()

    def in_course(self, course_root: Path) -> Question:
        """The same question inside another course folder (a temporary build or grading course)."""
        return Question(Path(course_root), self.number, self.slug, self.topic)

    def submitted_nb(self, student: str) -> Path:
        return self.root / "submitted" / student / self.slug / f"{self.slug}.ipynb"

    def autograded_nb(self, student: str) -> Path:
        return self.root / "autograded" / student / self.slug / f"{self.slug}.ipynb"

    def feedback_html(self, student: str) -> Path:
        return self.root / "feedback" / student / self.slug / f"{self.slug}.html"


@dataclass(frozen=True)
class Registry:
    """The course at ``root``: its configuration and its questions (present ones and planned ones)."""

    root: Path

    @cached_property
    def config(self) -> dict:
        with open(self.root / "pyproject.toml", "rb") as fh:
            return tomllib.load(fh)["tool"]["mlinfra"]

    @cached_property
    def topics(self) -> dict[int, str]:
        """number → topic of every planned question (pyproject.toml)."""
        return {q["number"]: q["topic"] for q in self.config["questions"]}

    @cached_property
    def questions(self) -> list[Question]:
        """The questions that have a notebook, in order."""
        out = []
        for path in sorted((self.root / AUTHORED[0]).glob("q*.py")):
            m = SLUG_RE.match(path.stem)
            if not m:
                raise CourseError(f"notebooks/{path.name}: a question notebook is named qNN_slug.py")
            number = int(m.group(1))
            if number not in self.topics:
                raise CourseError(f"notebooks/{path.name}: question {number} is not listed in pyproject.toml")
            out.append(Question(self.root, number, path.stem, self.topics[number]))
        return out

    @property
    def slugs(self) -> list[str]:
        return [q.slug for q in self.questions]

    def question(self, slug: str) -> Question:
        for q in self.questions:
            if q.slug == slug:
                return q
        raise CourseError(f"no question {slug!r}; known: {', '.join(self.slugs)}")

    def by_number(self) -> dict[int, Question]:
        return {q.number: q for q in self.questions}


def registry(root: Path | None = None) -> Registry:
    """The registry of the course containing ``root`` (default: found upwards from the current folder)."""
    return Registry(find_root(root))
