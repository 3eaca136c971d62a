"""Grading a whole class (mlinfra.course.grade): parallel workers, a safe gradebook, limits, hostile submissions.

Most tests use a tiny assignment (no torch, fork kernels without preloaded torch) so they cost seconds; one test
grades real q01 notebooks and compares the scores with a plain ``nbgrader autograde`` run.
"""

from __future__ import annotations

import copy
import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from mlinfra.course import forkkernel, grade
from mlinfra.course.classroom import Classroom
from mlinfra.course.nbgrader_cli import nbgrader_env
from mlinfra.course.registry import Question, registry

TINY = "tiny"
LIGHT = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel")


def _meta(grade_id: str, **kw) -> dict:
    base = {"grade_id": grade_id, "grade": False, "solution": False, "locked": False, "schema_version": 3}
    return {"nbgrader": {**base, **kw}}


SOLUTION = "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION"


def tiny_source() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import os", metadata=_meta("setup", locked=True)),
        nbformat.v4.new_code_cell(SOLUTION, metadata=_meta("add", solution=True)),
        nbformat.v4.new_code_cell(
            '"""add adds."""\nassert add(1, 2) == 3', metadata=_meta("test_add", grade=True, locked=True, points=2)
        ),
        nbformat.v4.new_code_cell(
            '"""add adds negatives."""\nassert add(-1, 1) == 0',
            metadata=_meta("test_add_negative", grade=True, locked=True, points=1),
        ),
    ]
    return nb


def submission(code: str | None = None) -> nbformat.NotebookNode:
    """The tiny source as a student hands it in: solution markers gone, ``code`` in the solution cell."""
    nb = tiny_source()
    nb.cells[1].source = code if code is not None else "def add(a, b):\n    return a + b"
    return nb


def tiny_course(folder: Path) -> Classroom:
    room = Classroom(registry().root, folder)
    q = Question(room.dir, 99, TINY, "tiny")
    q.source_nb.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(tiny_source(), q.source_nb)
    room.add_assignment(q)
    return room


def submit(room: Classroom, student: str, nb: nbformat.NotebookNode) -> None:
    room.submit(Question(room.dir, 99, TINY, "tiny"), student, nb)


@pytest.fixture(scope="module")
def light_server():
    with forkkernel.ForkServer(env=nbgrader_env(), modules=LIGHT) as srv:
        yield srv


@pytest.fixture(scope="module")
def runner():
    """nbgrader preloaded once for the module's grading runs."""
    with forkkernel.ForkServer(env=nbgrader_env(), modules=forkkernel.NBGRADER_PRELOAD) as srv:
        yield srv


def test_hostile_submissions_are_contained_and_reported(tmp_path, light_server, runner):
    """Runaway, dying and tampered notebooks each get their own status; an honest one in the same run scores 3/3."""
    room = tiny_course(tmp_path / "course")
    stripped = submission()
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    deleted = submission()
    del deleted.cells[2]
    duplicated = submission()
    twin = copy.deepcopy(duplicated.cells[2])
    twin["id"] = "twin-of-test-add"
    duplicated.cells.insert(3, twin)
    students = {
        "honest": submission(),
        "loop": submission("while True:\n    pass"),
        "deaf-loop": submission("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
        "hog": submission("hog = bytearray(10 * 2**30)\ndef add(a, b):\n    return a + b"),
        "exit": submission("import os\nos._exit(1)"),
        "suicide": submission("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        "daemon": submission(  # leaves a process behind, escaped into a session of its own
            "import subprocess\nsubprocess.Popen(['sleep', '737'], start_new_session=True)\n"
            "def add(a, b):\n    return a + b"
        ),
        "deleted": deleted,
        "stripped": stripped,
        "duplicated": duplicated,
    }
    for name, nb in students.items():
        submit(room, name, nb)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{room.dir / 'gradebook' / 'gradebook.db'}", grade.COURSE_ID) as gb:
        gb.add_student("absent")
    limits = grade.Limits(wall=12, memory_mb=512, cell_timeout=3)
    results = grade.grade(room.dir, workers=2, limits=limits, progress=False, server=light_server, runner=runner)
    by = {r.student: r for r in results}
    status = {s: r.status for s, r in by.items()}
    print(grade.summary(results))
    assert status == {
        "honest": "graded",
        "loop": "timeout",
        "deaf-loop": "timeout",
        "hog": "memory",
        "exit": "kernel-died",
        "suicide": "kernel-died",
        "daemon": "graded",
        "deleted": "tampered",
        "stripped": "tampered",
        "duplicated": "tampered",
        "absent": "not-submitted",
    }, status
    assert by["honest"].score == 3 and by["honest"].cells == {"test_add": 2, "test_add_negative": 1}
    assert by["hog"].score == 0 and by["loop"].score == 0
    assert "killed" in by["deaf-loop"].reason and by["deaf-loop"].score is None
    assert "exit status 1" in by["exit"].reason
    assert "signal 9" in by["suicide"].reason, by["suicide"].reason
    assert "test_add" in by["deleted"].reason and "duplicated grade_id" in by["duplicated"].reason
    assert "stripped" in by["stripped"].reason
    assert by["stripped"].score is None and "nbgrader could not grade it" in by["duplicated"].reason
    assert "cell timeout" in by["loop"].reason
    assert not light_server_children(light_server), "a kernel outlived grading"
    assert not _processes("sleep 737"), "a process a submission started outlived its kernel"


def _processes(cmdline: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").strip() == cmdline.encode():
                found.append(int(pid))
        except OSError:
            pass
    return found


SPY = """
import glob, json, os, socket
found = {}
for name, pattern in PATHS.items():
    readable = []
    for path in glob.glob(pattern, recursive=True):
        try:
            with open(path, "rb") as fh:
                fh.read(1)
            readable.append(path)
        except OSError:
            pass
    found["read " + name] = readable
for name, path in WRITES.items():
    try:
        with open(path, "w") as fh:
            fh.write("spy")
        found["write " + name] = True
    except OSError:
        found["write " + name] = False
with socket.socket() as s:
    s.settimeout(3)
    found["grader loopback"] = s.connect_ex(("127.0.0.1", PORT)) == 0
with socket.socket() as srv, socket.socket() as cli:  # a notebook may still serve on its own loopback
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    found["own loopback"] = cli.connect_ex(srv.getsockname()) == 0
found["processes"] = len([p for p in os.listdir("/proc") if p.isdigit()])
found["secrets"] = sorted(k for k in os.environ if "MLINFRA_TEST_SECRET" in k or k.startswith("AWS_"))
with open("/tmp/scratch", "w") as fh:
    found["own tmp"] = fh.write("ok") == 2
print("SPY " + json.dumps(found))
def add(a, b):
    return a + b
"""


def _spy_findings(room: Classroom, student: str) -> dict:
    import json

    nb = nbformat.read(room.dir / "autograded" / student / TINY / f"{TINY}.ipynb", as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("name") == "stdout" and "SPY " in out.get("text", ""):
                return json.loads(out["text"].split("SPY ", 1)[1])
    raise AssertionError(f"the spy printed nothing: {[c.get('outputs') for c in nb.cells]}")


@pytest.fixture
def var_tmp_path():
    """A folder outside /tmp: a sandboxed kernel gets a private /tmp, which would hide a course under /tmp anyway."""
    folder = Path(tempfile.mkdtemp(prefix="mlinfra-test-", dir="/var/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_sandbox_hides_other_work_and_blocks_writes_and_network(var_tmp_path, light_server, runner, monkeypatch):
    """A spying submission reads no other submission, gradebook, solution or grader credential, writes nowhere but
    its own folder and /tmp, reaches no grader service; unsandboxed, the same spy gets all of it (the probes work)."""
    tmp_path = var_tmp_path
    monkeypatch.setenv("MLINFRA_TEST_SECRET_TOKEN", "s3cr3t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")
    room = tiny_course(tmp_path / "course")
    repo = registry().root
    with socket.socket() as listener:  # a service on the grader's loopback (as PostgreSQL would be)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        paths = {
            "other submissions": f"{room.dir}/submitted/honest/**/*.ipynb",
            "other graded work": f"{room.dir}/autograded/honest/**/*.ipynb",
            "gradebook": f"{room.dir}/gradebook/*.db",
            "instructor notebook": str(Question(room.dir, 99, TINY, "tiny").source_nb),
            "solutions": f"{repo}/notebooks/q01_*.py",
            "wrong answers": f"{repo}/tests/submissions/**/*.toml",
        }
        writes = {"course root": f"{room.dir}/planted.txt", "repository": f"{tmp_path}/planted.txt"}
        code = f"PATHS = {paths!r}\nWRITES = {writes!r}\nPORT = {port}\n" + SPY
        submit(room, "honest", submission())
        submit(room, "spy", submission(code))
        outcome = {}
        for isolate in (True, False):
            results = grade.grade(
                room.dir, workers=2, progress=False, server=light_server, runner=runner, isolate=isolate
            )
            assert {(r.student, r.status, r.score) for r in results} == {("honest", "graded", 3), ("spy", "graded", 3)}
            outcome[isolate] = _spy_findings(room, "spy")
            for name, planted in writes.items():  # what reached the grader's file system
                outcome[isolate]["planted " + name] = Path(planted).exists()
                Path(planted).unlink(missing_ok=True)
    caged, free = outcome[True], outcome[False]
    for name in paths:
        assert free["read " + name], f"unsandboxed spy found nothing to read for {name}: the probe is broken"
        assert caged["read " + name] == [], f"sandboxed spy read {name}: {caged['read ' + name]}"
    for name in writes:
        assert free["planted " + name] and not caged["planted " + name], (name, free, caged)
        assert not caged["write " + name], f"sandboxed spy could write to {name}"
    assert free["grader loopback"] and not caged["grader loopback"]
    assert caged["own loopback"] and caged["own tmp"], caged
    assert caged["processes"] <= 3 < free["processes"], (caged["processes"], free["processes"])
    assert free["secrets"] and caged["secrets"] == [], caged["secrets"]


def test_grading_says_loudly_when_kernels_are_not_isolated(tmp_path, light_server, runner, capsys, monkeypatch):
    """Where namespaces are unavailable, grading goes on unsandboxed and prints a warning with the reason."""
    monkeypatch.setattr(grade, "isolation_unavailable", lambda: "user namespaces are disabled")
    room = tiny_course(tmp_path / "course")
    submit(room, "one", submission())
    results = grade.grade(room.dir, workers=1, progress=False, server=light_server, runner=runner)
    assert [(r.student, r.status, r.score) for r in results] == [("one", "graded", 3)]
    err = capsys.readouterr().err
    assert "NOT isolated (user namespaces are disabled)" in err, err
    with pytest.raises(RuntimeError, match="cannot be isolated"):
        grade.grade(room.dir, workers=1, progress=False, server=light_server, runner=runner, isolate=True)


def light_server_children(srv) -> list[int]:
    path = Path(f"/proc/{srv.proc.pid}/task/{srv.proc.pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_gradebook_survives_a_held_write_lock(tmp_path, light_server, runner):
    """Parallel workers wait for a gradebook another writer holds locked for 12 s; nbgrader's own 5 s gives up."""
    room = tiny_course(tmp_path / "course")
    for i in range(4):
        submit(room, f"student-{i}", submission())
    course = grade.Course(room.dir)
    course.prepare_db()
    locked, release = threading.Event(), threading.Event()

    def hold(seconds: float) -> None:
        con = sqlite3.connect(course.sqlite_path, timeout=60)
        con.execute("BEGIN EXCLUSIVE")
        locked.set()
        release.wait(seconds)
        con.rollback()
        con.close()

    holder = threading.Thread(target=hold, args=(120,))
    holder.start()
    locked.wait()
    try:  # plain nbgrader, the lock held until it gives up
        plain = room.nbgrader("autograde", TINY, "--create", "--force", "--student", "student-0", check=False)
    finally:
        release.set()
        holder.join()
    assert plain.returncode != 0 and "database is locked" in plain.stderr, plain.stderr[-2000:]

    release.clear()
    locked.clear()
    holder = threading.Thread(target=hold, args=(12,))
    holder.start()
    locked.wait()
    start = time.monotonic()
    results = grade.grade(room.dir, workers=4, progress=False, server=light_server, runner=runner)
    holder.join()
    assert time.monotonic() - start >= 11, "grading finished while the gradebook was locked"
    assert [(r.student, r.status, r.score) for r in results] == [(f"student-{i}", "graded", 3) for i in range(4)]


def test_cli_grades_and_prints_a_summary(tmp_path, capsys, monkeypatch):
    """`mlinfra grade --course DIR` grades the class and prints the table; exit status 0 when all graded."""
    from mlinfra.course.__main__ import main

    monkeypatch.setenv("MLINFRA_FORK_KERNELS", "0")  # the tiny notebook imports nothing heavy

    room = tiny_course(tmp_path / "course")
    submit(room, "one", submission())
    submit(room, "two", submission("def add(a, b):\n    return abs(a) + b"))
    code = main(["grade", "--course", str(room.dir), "-j", "2", "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tiny" in out and "notebooks/min" in out
    import json

    scores = {r["student"]: r["score"] for r in json.loads((tmp_path / "r.json").read_text())}
    assert scores == {"one": 3, "two": 2}


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL server (Debian's `postgresql` package) on 127.0.0.1, started and stopped here."""
    initdb, server = _pg_tool("initdb"), _pg_tool("postgres")
    try:
        import psycopg2
    except ImportError:
        psycopg2 = None
    if not (initdb and server and psycopg2):
        pytest.skip("PostgreSQL or psycopg2 missing (Debian: apt-get install postgresql; pip install psycopg2-binary)")
    folder = Path(tempfile.mkdtemp(prefix="mlinfra-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(
        [*as_user, initdb, "-D", str(folder / "data"), "-A", "trust", "-U", "grader", "--no-sync"],
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [*as_user, server, "-D", str(folder / "data"), "-p", str(port), "-h", "127.0.0.1", "-k", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                con = psycopg2.connect(host="127.0.0.1", port=port, user="grader", dbname="postgres")
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        con.autocommit = True
        con.cursor().execute("CREATE DATABASE gradebook")
        con.close()
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/gradebook"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_gradebook(tmp_path, postgres, light_server, runner):
    """With --db-url a real PostgreSQL server holds the gradebook; nbgrader export reads the same scores from it."""
    room = tiny_course(tmp_path / "course")
    room.nbgrader("generate_assignment", TINY, "--force", f"--CourseDirectory.db_url={postgres}")
    submit(room, "honest", submission())
    submit(room, "half", submission("def add(a, b):\n    return abs(a) + b"))
    submit(room, "exit", submission("import os\nos._exit(1)"))
    results = grade.grade(room.dir, workers=2, db_url=postgres, progress=False, server=light_server, runner=runner)
    assert [(r.student, r.status, r.score) for r in results] == [
        ("exit", "kernel-died", None),
        ("half", "graded", 2),
        ("honest", "graded", 3),
    ]
    room.nbgrader("export", f"--CourseDirectory.db_url={postgres}", "--to", str(tmp_path / "grades.csv"))
    import csv

    with open(tmp_path / "grades.csv", newline="") as fh:
        exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)}
    assert exported == {"exit": 0.0, "half": 2.0, "honest": 3.0}
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{room.dir / 'gradebook' / 'gradebook.db'}", grade.COURSE_ID) as gb:
        assert not gb.students, "grading wrote to the SQLite gradebook instead of PostgreSQL"
