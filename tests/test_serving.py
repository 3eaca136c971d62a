"""Unit tests for mlinfra.serving: servers always stop, ports close, threads end, loads stay bounded."""

import threading
import time
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI

from mlinfra.serving import percentile, port_is_open, rss_mb, run_load, running_server, running_worker_server


def _uvicorn_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("uvicorn-")]


def _app(delay: float = 0.0) -> FastAPI:
    app = FastAPI()
    state = {"active": 0, "max_active": 0, "calls": 0}
    lock = threading.Lock()
    app.state.counters = state

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/slow")
    def slow():
        with lock:
            state["active"] += 1
            state["calls"] += 1
            state["max_active"] = max(state["max_active"], state["active"])
        time.sleep(delay)
        with lock:
            state["active"] -= 1
        return {"ok": True}

    @app.post("/echo")
    def echo(n: int):
        return {"n": n}

    return app


def test_server_serves_then_stops_and_frees_the_port():
    with running_server(_app()) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert port_is_open(server.port)
        result = run_load(server.url + "/health", method="GET", num_requests=5, concurrency=2)
        assert result.statuses == [200] * 5
        assert result.bodies == [{"status": "ok"}] * 5
    assert not port_is_open(server.port)
    assert not server.thread.is_alive()
    assert not _uvicorn_threads()


def test_server_stops_when_the_block_raises():
    with pytest.raises(ZeroDivisionError):
        with running_server(_app()) as server:
            raise ZeroDivisionError
    assert not port_is_open(server.port)
    assert not server.thread.is_alive()
    assert not _uvicorn_threads()


def test_server_stops_with_a_request_still_running():
    """A handler that is still busy when the block ends does not keep the thread or the port alive."""
    app = _app(delay=1.0)
    with running_server(app, shutdown_timeout=2.0) as server:
        threading.Thread(
            target=run_load,
            args=(server.url + "/slow",),
            kwargs={"method": "GET", "num_requests": 1, "concurrency": 1},
            daemon=True,
        ).start()
        deadline = time.monotonic() + 5
        while app.state.counters["calls"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert not server.thread.is_alive()
    assert not port_is_open(server.port)


def test_a_handler_that_never_returns_is_bounded():
    """A deadlocked handler (question 5's graded test): requests time out and the block ends within its limits."""
    release = threading.Event()
    app = FastAPI()

    @app.get("/stuck")
    def stuck():
        release.wait(30)  # stands in for a lock that is never released
        return {"ok": True}

    start = time.monotonic()
    try:
        with running_server(app, shutdown_timeout=1.0, log_level="critical") as server:
            result = run_load(server.url + "/stuck", method="GET", num_requests=2, concurrency=2, timeout=1.0)
        assert result.statuses == [0, 0]  # 0: no answer within the timeout
        assert time.monotonic() - start < 6  # uvicorn gives up on the stuck request after its graceful timeout
        assert not server.thread.is_alive()
        assert not port_is_open(server.port)
    finally:
        release.set()


def test_failing_lifespan_raises_and_leaves_nothing_running():
    @asynccontextmanager
    async def lifespan(app):
        raise RuntimeError("model not found")
        yield

    before = set(threading.enumerate())
    with pytest.raises(RuntimeError, match="niet gestart"):
        with running_server(FastAPI(lifespan=lifespan), log_level="critical"):
            pass
    assert set(threading.enumerate()) <= before


def test_two_servers_get_different_ports():
    with running_server(_app()) as a, running_server(_app()) as b:
        assert a.port != b.port
    assert not port_is_open(a.port) and not port_is_open(b.port)


def test_load_respects_concurrency_and_keeps_order():
    app = _app(delay=0.05)
    with running_server(app) as server:
        result = run_load(server.url + "/slow", method="GET", num_requests=12, concurrency=3)
        echoed = run_load(
            server.url + "/echo", num_requests=6, concurrency=3, request_for=lambda i: {"params": {"n": i}}
        )
    assert len(result.latencies_ms) == 12 and result.skipped == 0
    assert all(lat >= 40 for lat in result.latencies_ms)
    assert 2 <= app.state.counters["max_active"] <= 3
    assert [b["n"] for b in echoed.bodies] == list(range(6))


def test_load_stops_at_its_time_budget():
    with running_server(_app(delay=0.2)) as server:
        start = time.monotonic()
        result = run_load(server.url + "/slow", method="GET", num_requests=50, concurrency=1, max_seconds=0.5)
        elapsed = time.monotonic() - start
    assert result.skipped > 0
    assert len(result.latencies_ms) + result.skipped == 50
    assert elapsed < 3


def test_load_records_connection_errors_as_status_0():
    with running_server(_app()) as server:
        url = server.url
    result = run_load(url + "/health", method="GET", num_requests=2, concurrency=1, timeout=1.0)
    assert result.statuses == [0, 0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"url": "http://example.com/predict"}, "eigen machine"),
        ({"url": "http://10.0.0.1:8000/"}, "eigen machine"),
        ({"url": "https://127.0.0.1:8000/"}, "eigen machine"),
        ({"num_requests": 0}, "num_requests"),
        ({"num_requests": 10_000}, "num_requests"),
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 1000}, "concurrency"),
        ({"max_seconds": 0}, "max_seconds"),
        ({"max_seconds": 3600}, "max_seconds"),
    ],
)
def test_load_rejects_unbounded_or_remote_loads(kwargs, message):
    args = {"url": "http://127.0.0.1:1/", "num_requests": 1, "concurrency": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        run_load(args.pop("url"), **args)


def test_percentile():
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([10.0], 95) == 10.0
    assert percentile(list(range(101)), 95) == pytest.approx(95.0)
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_rss_of_this_process_is_positive():
    assert rss_mb(__import__("os").getpid()) > 1


APP_FILE = """
import os
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/pid")
def pid():
    return {"pid": os.getpid()}
"""


def test_worker_server_runs_and_stops_its_whole_process_group(tmp_path):
    (tmp_path / "tiny_app.py").write_text(APP_FILE)
    with running_worker_server(tmp_path, "tiny_app:app", workers=2, startup_timeout=60) as (url, proc):
        pid = run_load(url + "/pid", method="GET", num_requests=1, concurrency=1).bodies[0]["pid"]
        port = int(url.rsplit(":", 1)[1])
        assert proc.poll() is None
    assert proc.poll() is not None
    assert not port_is_open(port)
    with pytest.raises(ProcessLookupError):
        __import__("os").kill(pid, 0)


def test_worker_server_reports_a_broken_app(tmp_path):
    (tmp_path / "broken_app.py").write_text("raise ImportError('no model')\n")
    with pytest.raises(RuntimeError, match="stopte tijdens het starten"):
        with running_worker_server(tmp_path, "broken_app:app", workers=1, startup_timeout=60):
            pass


def test_worker_server_rejects_too_many_workers(tmp_path):
    with pytest.raises(ValueError, match="workers"):
        with running_worker_server(tmp_path, "x:app", workers=16):
            pass
