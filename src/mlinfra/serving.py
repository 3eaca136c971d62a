"""Serving demos: run an ASGI app on a real uvicorn server and put a bounded load on it.

Used by question 5. Two pieces, both safe to use from a notebook:

- :func:`running_server` starts uvicorn in a background thread on 127.0.0.1 on a free port, waits until it accepts
  connections and *always* stops it (also when the block raises), so no port stays open and no thread keeps running.
- :func:`running_worker_server` starts ``uvicorn --workers N`` as a child process group on a free loopback port and
  always stops the whole group (master and workers) when the block ends.
- :func:`run_load` sends a bounded number of requests with a bounded number in flight, to loopback only, within a
  time budget, and returns the latency of every request.

Nothing in here solves an exercise: the apps under test come from the notebook.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import numpy as np
import uvicorn

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_REQUESTS = 2000
MAX_CONCURRENCY = 64
MAX_SECONDS = 60.0


def _bound_socket(host: str = "127.0.0.1") -> socket.socket:
    """A listening-ready TCP socket bound to a free port chosen by the OS (no race between 'find' and 'bind')."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


def port_is_open(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        return probe.connect_ex((host, port)) == 0


@dataclass
class Server:
    """A running uvicorn server: its base ``url``, ``port`` and the thread it runs in."""

    url: str
    port: int
    thread: threading.Thread
    uvicorn_server: uvicorn.Server = field(repr=False)


@contextlib.contextmanager
def running_server(
    app,
    *,
    startup_timeout: float = 10.0,
    shutdown_timeout: float = 5.0,
    log_level: str = "warning",
    limit_concurrency: int | None = None,
) -> Iterator[Server]:
    """Run ``app`` on uvicorn at 127.0.0.1 on a free port in a daemon thread; stop it when the block ends.

    The lifespan of the app runs (start-up before the block, shutdown after it). If start-up fails or does not finish
    within ``startup_timeout`` seconds, a ``RuntimeError`` is raised and nothing is left running. On leaving the block
    the server is asked to exit, forced to exit if it does not within ``shutdown_timeout`` seconds, and its thread is
    joined; the listening socket is closed in every case.
    """
    if startup_timeout <= 0 or shutdown_timeout <= 0:
        raise ValueError("startup_timeout en shutdown_timeout moeten positief zijn")
    sock = _bound_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        loop="asyncio",
        http="h11",
        ws="none",
        timeout_graceful_shutdown=max(1, int(shutdown_timeout / 2)),
        limit_concurrency=limit_concurrency,
    )
    server = uvicorn.Server(config)

    def serve() -> None:
        with contextlib.suppress(SystemExit):  # uvicorn exits with SystemExit(3) when the lifespan start-up fails
            server.run(sockets=[sock])

    thread = threading.Thread(target=serve, name=f"uvicorn-{port}", daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("de server is niet gestart: de lifespan (start-up) van de app faalde, zie de log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"de server was na {startup_timeout} s nog niet gestart")
            time.sleep(0.01)
        yield Server(url=f"http://127.0.0.1:{port}", port=port, thread=thread, uvicorn_server=server)
    finally:
        server.should_exit = True
        thread.join(shutdown_timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(shutdown_timeout)
        sock.close()
        if thread.is_alive():  # pragma: no cover - only when a request handler never returns
            raise RuntimeError(f"de serverthread op poort {port} stopte niet binnen {2 * shutdown_timeout} s")


@dataclass
class LoadResult:
    """Per request: latency in ms, HTTP status (0 on a client error) and JSON body (``None`` if not JSON)."""

    latencies_ms: list[float]
    statuses: list[int]
    bodies: list[object]
    wall_s: float
    skipped: int = 0  # requests not sent because the time budget ran out

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of the latencies, by linear interpolation."""
        return percentile(self.latencies_ms, q)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` (linear interpolation, as ``numpy.percentile``)."""
    if not values:
        raise ValueError("percentiel van een lege lijst bestaat niet")
    if not 0 <= q <= 100:
        raise ValueError(f"q moet tussen 0 en 100 liggen, niet {q}")
    return float(np.percentile(np.asarray(values, dtype=float), q))


def run_load(
    url: str,
    *,
    num_requests: int,
    concurrency: int,
    method: str = "POST",
    max_seconds: float = 30.0,
    timeout: float = 10.0,
    request_for: Callable[[int], dict] | None = None,
    **request_kwargs,
) -> LoadResult:
    """Send ``num_requests`` requests to ``url`` with at most ``concurrency`` in flight; loopback only.

    ``request_kwargs`` go to ``httpx.Client.request`` (e.g. ``files=...``, ``params=...``); ``request_for(i)`` may
    add per-request arguments for request ``i``. No new request starts after ``max_seconds``; those are counted in
    ``skipped``. Each request times out after ``timeout`` seconds. Results are in request order.
    """
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK_HOSTS or parts.scheme != "http":
        raise ValueError(
            f"run_load stuurt alleen gewoon HTTP-verkeer naar de eigen machine (http://127.0.0.1), niet naar {url!r}"
        )
    if not isinstance(num_requests, int) or not 1 <= num_requests <= MAX_REQUESTS:
        raise ValueError(f"num_requests moet een geheel getal tussen 1 en {MAX_REQUESTS} zijn, niet {num_requests!r}")
    if not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency moet een geheel getal tussen 1 en {MAX_CONCURRENCY} zijn, niet {concurrency!r}")
    if not 0 < max_seconds <= MAX_SECONDS:
        raise ValueError(f"max_seconds moet tussen 0 en {MAX_SECONDS} liggen, niet {max_seconds!r}")
    latencies: list[float | None] = [None] * num_requests
    statuses = [0] * num_requests
    bodies: list[object] = [None] * num_requests
    start = time.perf_counter()
    deadline = start + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    with _loopback_client(timeout=timeout, limits=limits) as client:

        def one(i: int) -> None:
            if time.perf_counter() > deadline:
                return
            t0 = time.perf_counter()
            try:
                extra = request_for(i) if request_for is not None else {}
                response = client.request(method, url, **{**request_kwargs, **extra})
            except httpx.HTTPError:
                latencies[i] = 1000 * (time.perf_counter() - t0)
                return
            latencies[i] = 1000 * (time.perf_counter() - t0)
            statuses[i] = response.status_code
            try:
                bodies[i] = response.json()
            except ValueError:
                bodies[i] = None

        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load") as pool:
            list(pool.map(one, range(num_requests)))
    sent = [i for i, lat in enumerate(latencies) if lat is not None]
    return LoadResult(
        latencies_ms=[latencies[i] for i in sent],
        statuses=[statuses[i] for i in sent],
        bodies=[bodies[i] for i in sent],
        wall_s=time.perf_counter() - start,
        skipped=num_requests - len(sent),
    )


def _loopback_client(**kwargs) -> httpx.Client:
    """An HTTP client for plain http to 127.0.0.1: no proxy from the environment, and no TLS set-up (loading the CA
    bundle costs ~10-200 ms per client, more than a loopback request)."""
    return httpx.Client(trust_env=False, verify=False, **kwargs)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (for a child process that must bind it itself)."""
    with _bound_socket(host) as sock:
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (10^6 bytes), read from /proc (Linux); NaN elsewhere."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return float("nan")


@contextlib.contextmanager
def running_worker_server(
    app_dir: str | os.PathLike,
    app: str,
    *,
    workers: int = 2,
    startup_timeout: float = 60.0,
    health_path: str = "/health",
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``uvicorn --workers N`` on ``app`` ("module:attribute" in ``app_dir``) at 127.0.0.1 on a free port.

    Yields ``(url, process)`` once ``health_path`` answers 200. The server runs in its own process group; when the
    block ends (also on an error) that group gets SIGTERM, then SIGKILL if it has not exited within 10 s.
    """
    if not isinstance(workers, int) or not 1 <= workers <= 4:
        raise ValueError(f"workers moet een geheel getal van 1 tot 4 zijn, niet {workers!r}")
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(app_dir),
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **(env or {})}
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        probe = _loopback_client(timeout=1.0)
        while True:
            if proc.poll() is not None:
                probe.close()
                log.seek(0)
                tail = log.read()[-2000:]
                raise RuntimeError(f"uvicorn stopte tijdens het starten (code {proc.returncode}):\n{tail}")
            try:
                if probe.get(url + health_path, headers={"connection": "close"}).status_code == 200:
                    probe.close()
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                probe.close()
                raise RuntimeError(f"uvicorn was na {startup_timeout} s nog niet bereikbaar")
            time.sleep(0.1)
        yield url, proc
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        with contextlib.suppress(ProcessLookupError):  # workers left behind by a killed master
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
