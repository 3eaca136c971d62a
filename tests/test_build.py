"""The build is one-way, deterministic, and its sync check catches a stale source/ or release/."""

import json
import re
import shutil
from pathlib import Path

import pytest

from mlinfra.course import build, notebook
from mlinfra.course.registry import AUTHORED, GENERATED, Registry, registry

REG = registry(Path(__file__).resolve().parents[1])


def _copy_repo(dest: Path) -> Registry:
    for name in ("nbgrader_config.py", "pyproject.toml", "README.md"):
        shutil.copy2(REG.root / name, dest / name)
    for folder in (*AUTHORED, *GENERATED):
        shutil.copytree(REG.root / folder, dest / folder)
    return Registry(dest)


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for top in GENERATED
        for p in sorted((root / top).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory) -> Path:
    """Every question built once from notebooks/ into a temporary course folder."""
    out = tmp_path_factory.mktemp("build")
    shutil.copy2(REG.root / "nbgrader_config.py", out / "nbgrader_config.py")
    build.build(REG, out, use_db=False)
    return out


def test_committed_build_is_in_sync(fresh_build):
    """source/, release/ and the README table match a fresh build of notebooks/ (what `make check` verifies)."""
    problems = build.compare(REG, fresh_build)
    assert not problems, "\n".join(problems)


def test_build_twice_is_identical(fresh_build, tmp_path):
    """Building a second time writes byte-identical files.

    Two questions are rebuilt (one with a `<slug>_files/` folder): the sync test already compares every question's
    fresh build with the committed one, built earlier in another process and folder."""
    shutil.copy2(REG.root / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    with_files = next(q for q in REG.questions if q.files_dir.is_dir())
    picked = {REG.questions[0].slug, with_files.slug}
    for slug in sorted(picked):
        build.build(REG, tmp_path, use_db=False, only=slug)
    again = _files(tmp_path)
    first = {k: v for k, v in _files(fresh_build).items() if k.split("/")[1] in picked}
    assert again and again == first


def test_check_names_a_stale_notebook(tmp_path):
    """Editing a notebook without rebuilding makes the check fail and name both stale files."""
    reg = _copy_repo(tmp_path)
    q = reg.questions[0]
    q.notebook_py.write_text(
        q.notebook_py.read_text(encoding="utf-8") + "\n# %%\nprint('new cell')\n", encoding="utf-8"
    )
    problems = build.check(reg, only=q.slug)
    assert any(q.source_nb.relative_to(reg.root).as_posix() in p for p in problems), problems
    assert any(q.release_rel in p for p in problems), problems


def test_cell_ids_are_stable_and_derived(question):
    """Graded cells use their grade_id as cell id; other ids are content hashes, so an edit moves only one id."""
    nb = json.loads(question.source_nb.read_text(encoding="utf-8"))
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
    "### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS\n",
    "unknown nbgrader keys": '# %% nbgrader={"grade_id": "a", "solutoin": true}\nx = 1\n',
    "cannot put it back": '# %% nbgrader={"grade_id": "a", "solution": true}\nx = 1\n'
    '# %% nbgrader={"grade_id": "fixture", "locked": true}\ny = 2\n'
    '# %% nbgrader={"grade_id": "test_a", "grade": true, "points": 1}\nassert x == 1\n',
}


@pytest.mark.parametrize("problem", BAD_NOTEBOOKS)
def test_build_rejects_broken_metadata(problem, tmp_path):
    """Malformed nbgrader headers stop the build with a message that names the problem."""
    path = tmp_path / "q99_bad.py"
    path.write_text(BAD_NOTEBOOKS[problem], encoding="utf-8")
    with pytest.raises(notebook.BuildError, match=problem.split()[-1]):
        notebook.py_to_notebook(path)


def test_readme_commands_are_make_targets():
    """The README's two set-up commands exist as Makefile targets, and CI runs the test command."""
    readme = (REG.root / "README.md").read_text(encoding="utf-8")
    makefile = (REG.root / "Makefile").read_text(encoding="utf-8")
    for target in ("lab", "test"):
        assert f"`make {target}`" in readme
        assert f"\n{target}:" in makefile
    assert "make test" in (REG.root / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_links_point_to_files_that_exist():
    """Every notebook link and Binder link in the README names a release notebook that is in the repository."""
    readme = (REG.root / "README.md").read_text(encoding="utf-8")
    targets = set(re.findall(r"\]\((release/[^)]+)\)", readme)) | set(re.findall(r"urlpath=lab/tree/([^)\s]+)", readme))
    assert {q.release_rel for q in REG.questions} <= targets, "a question is missing from the README table"
    missing = [t for t in targets if not (REG.root / t).is_file()]
    assert not missing, f"README links to missing files: {missing}"
