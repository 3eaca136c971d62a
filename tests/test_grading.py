"""Round trip through the real nbgrader CLI: the autograder must tell right answers from wrong ones.

Every test here reads the question's single round trip (``roundtrip`` fixture): one ``nbgrader autograde`` of the
solution (five times), the blank release, every wrong answer, a deleted test cell and a dying kernel.
"""

import html as html_mod
import re
from pathlib import Path

import nbformat
import pytest

from mlinfra.course import classroom
from mlinfra.course.registry import registry
from mlinfra.course.roundtrip import DELETER, KILLER, solution_copies

REG = registry(Path(__file__).resolve().parents[1])


def _wrong_cases():
    return [pytest.param(q.slug, w, id=f"{q.slug}-{w.name}") for q in REG.questions for w in classroom.wrong_answers(q)]


def test_every_question_ships_wrong_answers(question):
    """Each question has at least four wrong answers, each naming tests that exist and saying why."""
    wrongs = classroom.wrong_answers(question)
    tests = classroom.autograded_tests(question)
    assert sum(1 for w in wrongs if w.must_fail) >= 4, f"{question.slug}: fewer than 4 wrong answers that must fail"
    for w in wrongs:
        unknown = set(w.must_fail) - set(tests)
        assert not unknown, f"{question.slug}/{w.name}.toml names unknown tests {sorted(unknown)}"
        assert w.why.strip(), f"{question.slug}/{w.name}.toml must say why a student would write it"


def test_every_test_cell_is_caught_by_some_wrong_answer(question):
    """Every autograded test can fail: some wrong answer makes it score 0."""
    caught = {t for w in classroom.wrong_answers(question) for t in w.must_fail}
    uncovered = set(classroom.autograded_tests(question)) - caught
    assert not uncovered, f"{question.slug}: no wrong answer exercises {sorted(uncovered)}"


def test_solution_scores_full_marks_every_run(question, roundtrip):
    """The instructor's solution, submitted as is five times, earns every autograded point every time."""
    expected = classroom.autograded_tests(question)
    for student in solution_copies():
        lost = {
            gid: roundtrip.errors[student].get(gid, "?")
            for gid, pts in expected.items()
            if roundtrip.scores[student][gid] != pts
        }
        assert not lost, f"{question.slug}: {student} lost points on {lost}"


def test_solution_runs_clean_under_autograde(question, roundtrip):
    """Graded by nbgrader, the solution raises in no cell and writes nothing to stderr (which would score 0)."""
    assert not roundtrip.errors["solution"], f"{question.slug}: {roundtrip.errors['solution']}"


def test_blank_release_scores_zero(roundtrip):
    """The untouched student notebook earns no autograded point (and autograde still runs)."""
    earned = {gid: s for gid, s in roundtrip.scores["blank"].items() if s}
    assert not earned, f"{roundtrip.slug}: the blank release earns points on {earned}"


@pytest.mark.parametrize("slug, wrong", _wrong_cases())
def test_wrong_answer_loses_exactly_its_points(question, wrong, roundtrip):
    """A wrong answer scores 0 on exactly the tests it names and keeps the points of all others."""
    tests = classroom.autograded_tests(question)
    got = roundtrip.scores[wrong.student]
    failed = {gid for gid, s in got.items() if s != tests[gid]}
    assert failed == set(wrong.must_fail), (
        f"{question.slug}/{wrong.name} ({wrong.why})\n  must fail: {sorted(wrong.must_fail)}\n"
        f"  did fail:  {sorted(failed)}\n  errors: {roundtrip.errors[wrong.student]}"
    )


def _feedback_text(question, roundtrip, student: str) -> str:
    html = question.in_course(roundtrip.course_dir).feedback_html(student).read_text(encoding="utf-8")
    return html_mod.unescape(re.sub(r"<[^>]+>", "", html))


def test_feedback_hides_hidden_tests(question, roundtrip):
    """No student's feedback shows a line of a hidden test, also where a hidden test failed; visible tests show."""
    hidden_lines = classroom.secret_lines(question, kinds=("HIDDEN TESTS",), min_len=20)
    assert hidden_lines, f"{question.slug}: no distinctive hidden test lines found"
    cells = classroom.graded_cells(question)
    failed_hidden = [
        s for s, sc in roundtrip.scores.items() if any(cells[g]["hidden"] and sc[g] < cells[g]["points"] for g in sc)
    ]
    wrong = [s for s in failed_hidden if s.startswith("wrong-")]
    assert wrong, f"{question.slug}: no wrong answer fails a test cell with hidden tests, so this check sees nothing"
    source = nbformat.read(question.source_nb, as_version=4)
    first_test = next(
        c
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") in classroom.autograded_tests(question)
    )
    course = question.in_course(roundtrip.course_dir)
    for student in roundtrip.scores:
        text = _feedback_text(question, roundtrip, student)
        assert "BEGIN HIDDEN TESTS" not in text, f"{question.slug}: {student}'s feedback shows hidden markers"
        # The release holds no hidden line, so one in the submission is the student's own code (a common line such
        # as `with torch.no_grad():`), which their feedback may show.
        submitted = course.submitted_nb(student)
        own = "\n".join(c.source for c in nbformat.read(submitted, as_version=4).cells) if submitted.exists() else ""
        leaked = [ln for ln in hidden_lines if ln in text and ln not in own]
        assert not leaked, f"{question.slug}: {student}'s feedback shows hidden test lines: {leaked[:3]}"
        assert first_test.source.splitlines()[0].strip('"') in text, f"{question.slug}: feedback lacks visible tests"


def test_deleted_test_cell_is_restored_and_graded(question, roundtrip):
    """A test cell the student deleted is put back and run, with a note, instead of silently scoring 0."""
    assert roundtrip.scores[DELETER] == classroom.autograded_tests(question), "the re-added test cell was not graded"
    graded = question.in_course(roundtrip.course_dir).autograded_nb(DELETER).read_text(encoding="utf-8")
    assert "was missing from the submission" in graded


def test_dead_kernel_is_reported_not_scored(roundtrip):
    """A submission whose kernel dies gets no graded notebook (nbgrader reports it) — and only that one."""
    assert roundtrip.ungraded == [KILLER], f"ungraded submissions: {roundtrip.ungraded}"


def test_every_honest_submission_is_graded(question, roundtrip):
    """mlinfra grade gives the solution copies, the blank release and every wrong answer the status "graded"."""
    honest = [*solution_copies(), "blank", *(w.student for w in classroom.wrong_answers(question))]
    got = {s: roundtrip.statuses.get(s, "missing") for s in honest}
    odd = {s: f"{st} {roundtrip.reasons.get(s, '')}".strip() for s, st in got.items() if st != "graded"}
    assert not odd, f"{question.slug}: honest submissions not simply graded: {odd}"


def test_deleted_test_cell_is_reported_as_tampered(roundtrip):
    """The submission with a deleted test cell is "tampered", and the reason names the deleted cell."""
    assert roundtrip.statuses[DELETER] == "tampered", f"{DELETER}: {roundtrip.statuses[DELETER]}"
    assert roundtrip.deleted_cell in roundtrip.reasons[DELETER], roundtrip.reasons[DELETER]


def test_dying_kernel_is_reported_as_kernel_died(roundtrip):
    """The submission whose kernel exits (os._exit(1)) is "kernel-died", not "error" and not "not-submitted"."""
    assert roundtrip.statuses[KILLER] == "kernel-died", (
        f"{KILLER}: {roundtrip.statuses[KILLER]} ({roundtrip.reasons.get(KILLER, '')})"
    )
