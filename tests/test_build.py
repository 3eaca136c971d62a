"""The build is one-way, deterministic and its sync check catches a stale source/ or release/."""
import json
import shutil
from pathlib import Path

import pytest

import harness
from mlinfra import build

ROOT = harness.ROOT


def _copy_repo(dest: Path) -> Path:
    for name in ("nbgrader_config.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("notebooks", "source", "release"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def test_committed_build_is_in_sync():
    """source/, release/ and the README table match a fresh build of notebooks/ (what `make check` verifies)."""
    problems = build.check(ROOT)
    assert not problems, "\n".join(problems)


def test_build_twice_is_identical(tmp_path):
    """Building twice writes byte-identical files."""
    repo = _copy_repo(tmp_path)
    build.build(repo, use_db=False)
    first = {p: p.read_bytes() for p in repo.rglob("*.ipynb")}
    build.build(repo, use_db=False)
    second = {p: p.read_bytes() for p in repo.rglob("*.ipynb")}
    assert first == second


def test_check_names_a_stale_notebook(tmp_path):
    """Editing notebooks/ without rebuilding makes the check fail and name the stale files."""
    repo = _copy_repo(tmp_path)
    slug = harness.all_slugs()[0]
    nb_py = repo / "notebooks" / f"{slug}.py"
    nb_py.write_text(nb_py.read_text(encoding="utf-8") + "\n# %%\nprint('new cell')\n", encoding="utf-8")
    problems = build.check(repo)
    assert any(f"source/{slug}/{slug}.ipynb" in p for p in problems), problems
    assert any(f"release/{slug}/{slug}.ipynb" in p for p in problems), problems


def test_cell_ids_are_stable_and_derived():
    """Graded cells use their grade_id as cell id; other ids are content hashes, so an edit moves only one id."""
    for slug in harness.all_slugs():
        nb = json.loads(harness.source_nb(slug).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if gid:
                assert cell["id"] == gid
            else:
                assert cell["id"].startswith(("co-", "ma-", "ra-"))
            assert "outputs" not in cell or cell["outputs"] == []


BAD_NOTEBOOKS = {
    "duplicate grade_id": '# %% nbgrader={"grade_id": "a", "solution": true}\nx = 1\n'
                          '# %% nbgrader={"grade_id": "a", "solution": true}\ny = 2\n',
    "needs points": '# %% nbgrader={"grade_id": "test_a", "grade": true}\nassert True\n',
    "only hidden tests": '# %% nbgrader={"grade_id": "test_a", "grade": true, "points": 1}\n'
                         '### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS\n',
    "unknown nbgrader keys": '# %% nbgrader={"grade_id": "a", "solutoin": true}\nx = 1\n',
}


@pytest.mark.parametrize("problem", BAD_NOTEBOOKS)
def test_build_rejects_broken_metadata(problem, tmp_path):
    """Malformed nbgrader headers stop the build with a message that names the problem."""
    path = tmp_path / "q99_bad.py"
    path.write_text(BAD_NOTEBOOKS[problem], encoding="utf-8")
    with pytest.raises(build.BuildError, match=problem.split()[-1]):
        build.py_to_notebook(path)


def test_readme_commands_are_make_targets():
    """The README's two set-up commands exist as Makefile targets, and CI runs the test command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("lab", "test"):
        assert f"`make {target}`" in readme
        assert f"\n{target}:" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
