"""Binder without Docker: the README's Binder links and the binder/ configuration repo2docker builds from.

Fast (no image is built): every Binder link opens a file that exists, on the repository and branch that
``[tool.mlinfra]`` in pyproject.toml names; binder/ installs the CPU build of torch, the course package and a Python
the package supports; and repo2docker's no-build mode (``repo2docker --no-build``) renders a Dockerfile that runs
exactly those steps.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
BINDER_LINK = re.compile(r"https://mybinder\.org/v2/gh/[^)\s\"'<>]+")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def binder_links() -> list[str]:
    links = BINDER_LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert links, "README.md has no Binder links"
    return links


def opened_path(link: str) -> str:
    """The repository file a Binder link opens: ``labpath=<file>`` or ``urlpath=lab/tree/<file>`` (or tree/...)."""
    query = parse_qs(urlsplit(link).query)
    if "labpath" in query:
        return unquote(query["labpath"][0])
    assert "urlpath" in query, f"Binder link without urlpath/labpath (opens no notebook): {link}"
    urlpath = unquote(query["urlpath"][0]).lstrip("/")
    m = re.match(r"(?:lab/tree|tree|notebooks|doc/tree)/(.+)", urlpath)
    assert m, f"Binder link whose urlpath opens no file: {link}"
    return m.group(1)


def requirements() -> tuple[list[str], dict[str, Requirement]]:
    """The index URLs and the requirements (by name) of binder/requirements.txt."""
    indexes, reqs = [], {}
    for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("--extra-index-url", "--index-url", "-i ")):
            indexes.append(line.split(maxsplit=1)[1].strip() if " " in line else line.split("=", 1)[1])
        else:
            req = Requirement(line)
            reqs[req.name.lower()] = req
    return indexes, reqs


def runtime_python() -> str:
    path = BINDER / "runtime.txt"
    assert path.is_file(), "binder/runtime.txt is missing: without it repo2docker picks a Python of its own"
    text = path.read_text(encoding="utf-8").strip()
    m = re.fullmatch(r"python-(\d+\.\d+)", text)
    assert m, f"binder/runtime.txt must be one line 'python-X.Y' (repo2docker's format), not {text!r}"
    return m.group(1)


def test_binder_links_open_existing_files():
    """Every Binder link in the README opens a file that exists in the repository."""
    paths = [opened_path(link) for link in binder_links()]
    missing = [p for p in paths if not (ROOT / p).is_file()]
    assert not missing, f"Binder links to files that do not exist: {missing}"
    assert len(set(paths)) == len(paths), f"two Binder links open the same file: {sorted(paths)}"


def test_binder_links_use_the_repository_and_branch_of_pyproject():
    """Every Binder link builds the repository and branch named once in pyproject.toml's [tool.mlinfra]."""
    conf = pyproject()["tool"]["mlinfra"]
    owner_repo = urlsplit(conf["repository"]).path.strip("/").removesuffix(".git")
    expected = f"https://mybinder.org/v2/gh/{owner_repo}/{conf['branch']}?"
    wrong = [link for link in binder_links() if not link.startswith(expected)]
    assert not wrong, f"Binder links that do not start with {expected}: {wrong}"


def test_binder_installs_the_cpu_build_of_torch():
    """binder/requirements.txt takes torch and torchvision from PyTorch's CPU index, with pyproject's versions."""
    indexes, reqs = requirements()
    assert TORCH_CPU_INDEX in [i.rstrip("/") for i in indexes], (
        f"binder/requirements.txt does not use {TORCH_CPU_INDEX}: mybinder would install the CUDA build of torch "
        "(gigabytes; mybinder has 2 GB of RAM and no GPU)"
    )
    declared = {Requirement(d).name.lower(): Requirement(d) for d in pyproject()["project"]["dependencies"]}
    for name in ("torch", "torchvision"):
        assert name in reqs, f"binder/requirements.txt does not install {name} (it must come from the CPU index)"
        assert reqs[name].specifier == declared[name].specifier, (
            f"{name}: binder/requirements.txt asks {reqs[name].specifier}, pyproject.toml {declared[name].specifier}"
        )


def test_binder_installs_the_course_package():
    """binder/postBuild is an executable script that stops on the first error and pip-installs the repository."""
    post_build = BINDER / "postBuild"
    text = post_build.read_text(encoding="utf-8")
    assert text.startswith("#!"), "binder/postBuild needs a shebang line"
    assert os.access(post_build, os.X_OK), "binder/postBuild is not executable (git update-index --chmod=+x)"
    assert re.search(r"^set -[a-z]*e", text, re.M), "binder/postBuild must stop on the first error (set -e)"
    assert re.search(r"pip install\b[^\n]*\s(?:-e\s+)?\.(?:\[[\w,]+\])?\s*$", text, re.M), (
        "binder/postBuild does not pip-install the course package (the repository itself)"
    )


def test_binder_python_is_supported_by_the_package():
    """binder/runtime.txt pins a Python that pyproject.toml's requires-python allows."""
    version = runtime_python()
    allowed = SpecifierSet(pyproject()["project"]["requires-python"])
    assert f"{version}.0" in allowed, f"binder/runtime.txt asks Python {version}, pyproject.toml allows {allowed}"


def repo2docker() -> str:
    exe = shutil.which("repo2docker", path=str(Path(sys.executable).parent)) or shutil.which("repo2docker")
    if exe is None:
        pytest.fail("repo2docker is missing: pip install jupyter-repo2docker (a dev dependency)", pytrace=False)
    return exe


def test_repo2docker_renders_the_binder_build(tmp_path):
    """repo2docker's no-build mode (no Docker needed) renders a Dockerfile with binder/'s Python, the CPU torch
    requirements and postBuild."""
    repo = tmp_path / "repo"
    shutil.copytree(BINDER, repo / "binder")  # repo2docker reads only binder/ when it exists
    proc = subprocess.run(
        [repo2docker(), "--no-build", "--no-run", "--debug", "--user-id", "1000", "--user-name", "jovyan", str(repo)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"repo2docker --no-build failed:\n{proc.stderr[-3000:]}"
    log, dockerfile = proc.stderr, proc.stdout
    assert f"Building conda environment for python={runtime_python()}" in log, log
    assert "Python version unspecified" not in log, log
    steps = ['pip install --no-cache-dir -r "binder/requirements.txt"', "RUN ./binder/postBuild"]
    missing = [step for step in steps if step not in dockerfile]
    assert not missing, f"the Dockerfile repo2docker renders lacks {missing}:\n{dockerfile}"
    assert dockerfile.index(steps[0]) < dockerfile.index(steps[1]), "postBuild runs before requirements.txt"


# Modules a notebook writes itself before importing them (not packages).
NOTEBOOK_MADE_MODULES = {"broken_digits_module"}


def kernel_imports() -> dict[str, set[str]]:
    """Top-level modules that the notebooks and the kernel helpers (src/mlinfra/*.py) import, with the files."""
    import ast

    files = sorted((ROOT / "notebooks").glob("q*.py")) + sorted((ROOT / "src" / "mlinfra").glob("*.py"))
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path.relative_to(ROOT).as_posix())
    return found


def installed_by(requirements: list[str]) -> set[str]:
    """Every distribution that pip installs for ``requirements``: the closure over their requirements and extras."""
    from importlib import metadata

    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = [(Requirement(r), frozenset(Requirement(r).extras)) for r in requirements]
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen and not extras:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            sub = Requirement(line)
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if sub.marker is None or any(sub.marker.evaluate(env) for env in envs):
                todo.append((sub, frozenset(sub.extras)))
    return seen


def test_kernels_import_only_what_the_package_installs():
    """Every package a notebook or kernel helper imports comes with `pip install .` (what Binder runs), not only
    with the dev extra that `make lab` adds: otherwise the notebook works here and fails on Binder."""
    from importlib import metadata

    from packaging.utils import canonicalize_name

    base = installed_by(pyproject()["project"]["dependencies"])
    providers = metadata.packages_distributions()
    missing, unknown = {}, {}
    for module, files in sorted(kernel_imports().items()):
        if module in sys.stdlib_module_names or module == "mlinfra" or module in NOTEBOOK_MADE_MODULES:
            continue
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists:
            unknown[module] = sorted(files)
        elif not dists & base:
            missing[module] = sorted(files)
    assert not unknown, f"imported modules that no installed package provides: {unknown}"
    assert not missing, (
        f"imported by notebooks or kernel helpers but installed only by the dev extra (Binder lacks them): {missing}; "
        "move them to [project] dependencies in pyproject.toml"
    )
