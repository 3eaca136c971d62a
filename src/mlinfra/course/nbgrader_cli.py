"""Running the nbgrader command line from the tooling (build, classroom, grading)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def nbgrader_env(**extra: str) -> dict[str, str]:
    """The environment for nbgrader subprocesses.

    This interpreter's ``bin/`` goes first on PATH (nbgrader shells out to ``alembic``), a run mode left over from
    an outer nbgrader run is dropped (nbgrader sets its own), and ``extra`` is added.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("NBGRADER_EXECUTION", None)
    env.update(extra)
    return env


def nbgrader(
    *args: str, cwd: Path, timeout: float | None = None, check: bool = True, **extra_env: str
) -> subprocess.CompletedProcess:
    """``python -m nbgrader ARGS`` in the course folder ``cwd``; raises with its output when it fails and check."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=nbgrader_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc
