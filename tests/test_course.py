"""The course tooling stays apart from what a student's kernel imports, and paths are spelled in one place."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlinfra.course.registry import CourseError, Registry, registry

REG = registry(Path(__file__).resolve().parents[1])
KERNEL_MODULES = sorted(p.stem for p in (REG.root / "src" / "mlinfra").glob("*.py") if p.stem != "__init__")


def test_kernel_helpers_never_load_the_tooling():
    """Importing every helper module a notebook may use loads neither mlinfra.course nor nbgrader."""
    code = (
        "import sys, importlib\n"
        f"for m in {['mlinfra'] + [f'mlinfra.{m}' for m in KERNEL_MODULES]!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('mlinfra.course', 'nbgrader')))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"kernel helpers import tooling: {out.stdout.strip()}"


def test_generated_paths_are_spelled_only_in_the_registry():
    """No module, test or script outside the registry spells source/ or release/ as a path."""
    # a path literal: the bare folder name in quotes, or an f-string path that starts with it
    pattern = re.compile(r"""["'](source|release)["']|["'](source|release)/\{""")
    offenders = []
    for folder in ("src", "tests", "scripts"):
        for path in (REG.root / folder).rglob("*.py"):
            if path.name == "registry.py" or "submissions" in path.parts:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(REG.root)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_registry_knows_every_question_and_its_paths():
    """Each notebook is a registered question whose generated notebooks exist where the registry says."""
    assert REG.slugs == sorted(REG.slugs) and REG.slugs, "no questions found"
    for q in REG.questions:
        assert q.slug.startswith(f"q{q.number:02d}_") and q.topic
        assert q.source_nb.is_file() and q.release_nb.is_file(), f"{q.slug}: run `make build`"
        assert q.in_course(Path("/tmp/x")).release_nb == Path("/tmp/x") / q.release_rel


def test_registry_rejects_unregistered_or_misnamed_notebooks(tmp_path):
    """A notebook whose number is not in pyproject.toml, or whose name is not qNN_slug, is a clear error."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.mlinfra]\nquestions = [{number = 1, topic = "t"}]\n')
    (tmp_path / "notebooks" / "q07_other.py").write_text("")
    with pytest.raises(CourseError, match="not listed"):
        _ = Registry(tmp_path).questions
    (tmp_path / "notebooks" / "q07_other.py").rename(tmp_path / "notebooks" / "Q1-bad.py")
    (tmp_path / "notebooks" / "Q1-bad.py").rename(tmp_path / "notebooks" / "q1bad.py")
    with pytest.raises(CourseError, match="qNN_slug"):
        _ = Registry(tmp_path).questions


def test_ruff_lint_and_format_pass():
    """ruff (configured in pyproject.toml) finds no lint error and no unformatted file."""
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(REG.root)], capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout[-4000:] + lint.stderr[-2000:]
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", str(REG.root)], capture_output=True, text=True
    )
    assert fmt.returncode == 0, "run `ruff format`:\n" + fmt.stdout[-4000:] + fmt.stderr[-2000:]
