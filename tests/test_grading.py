"""Round trip through the real nbgrader CLI: the autograder must tell right answers from wrong ones."""
import html as html_mod
import re

import nbformat
import pytest

import harness


def _wrong_cases():
    return [pytest.param(w.slug, w, id=f"{w.slug}-{w.name}") for s in harness.all_slugs()
            for w in harness.wrong_answers(s)]


def test_every_question_ships_wrong_answers(slug):
    """Each question has at least four wrong answers, each naming tests that exist."""
    wrongs = harness.wrong_answers(slug)
    tests = harness.autograded_tests(slug)
    assert sum(1 for w in wrongs if w.must_fail) >= 4, f"{slug}: fewer than 4 wrong answers that must fail"
    for w in wrongs:
        unknown = set(w.must_fail) - set(tests)
        assert not unknown, f"{slug}/{w.name}.toml names unknown tests {sorted(unknown)}"
        assert w.why.strip(), f"{slug}/{w.name}.toml must say why a student would write it"


def test_every_test_cell_is_caught_by_some_wrong_answer(slug):
    """Every autograded test can fail: some wrong answer (or the blank release) makes it score 0."""
    caught = {t for w in harness.wrong_answers(slug) for t in w.must_fail}
    # The blank release must fail everything, so this only asks that the wrong answers cover the tests.
    uncovered = set(harness.autograded_tests(slug)) - caught
    assert not uncovered, f"{slug}: no wrong answer exercises {sorted(uncovered)}"


def test_solution_scores_full_marks(slug):
    """The instructor's solution, submitted as is, earns every autograded point."""
    course, scores = harness.roundtrip(slug)
    expected = harness.autograded_tests(slug)
    lost = {gid: course.errors_in("solution").get(gid, "?") for gid, pts in expected.items()
            if scores["solution"][gid] != pts}
    assert not lost, f"{slug}: solution lost points on {lost}"


def test_blank_release_scores_zero(slug):
    """The untouched student notebook earns no autograded point (and autograde still runs)."""
    course, scores = harness.roundtrip(slug)
    earned = {gid: s for gid, s in scores["blank"].items() if s}
    assert not earned, f"{slug}: the blank release earns points on {earned}"


@pytest.mark.parametrize("slug, wrong", _wrong_cases())
def test_wrong_answer_loses_exactly_its_points(slug, wrong):
    """A wrong answer scores 0 on exactly the tests it names and keeps the points of all others."""
    course, scores = harness.roundtrip(slug)
    got = scores[wrong.student]
    tests = harness.autograded_tests(slug)
    failed = {gid for gid, s in got.items() if s != tests[gid]}
    errors = course.errors_in(wrong.student)
    assert failed == set(wrong.must_fail), (
        f"{slug}/{wrong.name} ({wrong.why})\n  must fail: {sorted(wrong.must_fail)}\n  did fail:  {sorted(failed)}\n"
        f"  errors: {errors}")


def test_feedback_hides_hidden_tests(slug):
    """Generated feedback shows the visible tests but none of the hidden ones."""
    course, _ = harness.roundtrip(slug)
    course.nbgrader("generate_feedback", slug, "--student", "solution", "--force")
    html = (course.dir / "feedback" / "solution" / slug / f"{slug}.html").read_text(encoding="utf-8")
    assert "BEGIN HIDDEN TESTS" not in html
    hidden_lines = harness.secret_lines(slug, kinds=("HIDDEN TESTS",), min_len=20)
    assert hidden_lines, f"{slug}: no distinctive hidden test lines found"
    text = html_mod.unescape(re.sub(r"<[^>]+>", "", html))
    source = nbformat.read(harness.source_nb(slug), as_version=4)
    first_test = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                      in harness.autograded_tests(slug))
    assert first_test.source.splitlines()[0].strip('"') in text, f"{slug}: feedback lacks the visible tests"
    leaked = [ln for ln in hidden_lines if ln in text]
    assert not leaked, f"{slug}: feedback shows hidden test lines: {leaked[:3]}"


def test_deleted_test_cell_and_dead_kernel_are_not_silent(slug):
    """A deleted test cell is put back and run; a kernel death is reported by name, not left as a quiet 0."""
    course = harness.Course(slug)
    try:
        victim = next(iter(harness.autograded_tests(slug)))
        nb = harness.make_submission(slug, {})
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != victim]
        course.submit("deleter", nb)
        first_solution = next(iter(harness.reference_solutions(slug)))
        course.submit("killer", harness.make_submission(slug, {first_solution: "import os\nos._exit(1)"}))
        with pytest.raises(RuntimeError, match=r"no graded notebook for \['killer'\]"):
            course.autograde()
        assert course.scores()["deleter"] == harness.autograded_tests(slug), "re-added test cell was not graded"
        graded = (course.dir / "autograded" / "deleter" / slug / f"{slug}.ipynb").read_text(encoding="utf-8")
        assert "was missing from the submission" in graded
    finally:
        course.cleanup()


@pytest.mark.slow
def test_solution_is_stable_over_five_runs(slug):
    """Five autograde runs of the solution give identical, full scores."""
    course = harness.Course(slug)
    try:
        for i in range(5):
            course.submit(f"solution-{i}", nbformat.read(harness.source_nb(slug), as_version=4))
        course.autograde()
        scores = course.scores()
        expected = harness.autograded_tests(slug)
        for student, got in scores.items():
            assert got == expected, f"{slug}: {student} scored {got}, expected {expected}"
    finally:
        course.cleanup()
