"""What the HTTP benchmarks share: the project under gunicorn on loopback with DEBUG off, one
request at a time for checks, and the load generators that time it (wrk when installed, else a
small Python one).

`make bench-api` (benchmarks/api.py) and `make bench-pages` (benchmarks/pages.py) both serve the
configured database with benchmarks.settings; nothing leaves 127.0.0.1. Each caller says which
headers its requests carry (a token, a session cookie), over how many connections.
"""

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @classmethod
    def combined(cls, parts: list["Result"]) -> "Result":
        """Slices of one run: counts add up; the percentiles are the slices' medians."""
        return cls(
            requests=sum(part.requests for part in parts),
            seconds=sum(part.seconds for part in parts),
            errors=sum(part.errors for part in parts),
            p50_ms=statistics.median(part.p50_ms for part in parts),
            p95_ms=statistics.median(part.p95_ms for part in parts),
        )


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_environment(**overrides: str) -> dict[str, str]:
    """This process's environment for the server, on the database it uses, with DEBUG off;
    `overrides` last (a SECRET_KEY shared with this process, for sessions it signs)."""
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{database.get('USER') or 'postgres'}"
        + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
        + f"@{database.get('HOST') or HOST}:{database.get('PORT') or 5432}/{database['NAME']}"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    return (
        environment
        | {
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + os.urandom(16).hex(),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": url,
            # As in production: each worker keeps its connection rather than opening one per
            # request.
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
        }
        | overrides
    )


@contextmanager
def gunicorn(port: int, *, workers: int, environment: dict[str, str] | None = None):
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "hoa_portal.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--worker-class=sync",
        "--timeout=30",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=environment or server_environment())
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                sys.exit(f"gunicorn exited with {server.returncode} before serving")
            try:
                socket.create_connection((HOST, port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("gunicorn did not listen within 30 s")
                time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def fetch(port: int, path: str, headers: dict[str, str], timeout: float = 10) -> tuple[int, bytes]:
    client = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        client.request("GET", path, headers={"Host": HOST, **headers})
        response = client.getresponse()
        return response.status, response.read()
    finally:
        client.close()


# --- Load generators ----------------------------------------------------------------------------

# wrk counts answers of 400 and above as status errors; a redirect (to sign in, say) would pass
# unseen, so each caller checks its paths answer 200 before timing them.
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("BENCH %d %d %d %d %d\\n", summary.requests, summary.duration, errors,
    latency:percentile(50), latency:percentile(95)))
end
"""


def wrk_run(
    port: int,
    path: str,
    headers: dict[str, str],
    seconds: int,
    script: Path,
    *,
    connections: int,
) -> Result:
    """`script` holds WRK_REPORT."""
    command = [
        "wrk",
        f"--threads={min(2, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={script}",
        *(f"--header={name}: {value}" for name, value in headers.items()),
        # As browsers and HTTP libraries ask: the answers are gzipped.
        "--header=Accept-Encoding: gzip",
        f"http://{HOST}:{port}{path}",
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    requests, duration_us, errors, p50_us, p95_us = map(int, line.split()[1:])
    return Result(requests, duration_us / 1e6, errors, p50_us / 1e3, p95_us / 1e3)


def python_run(
    port: int, path: str, headers: dict[str, str], seconds: int, *, connections: int
) -> Result:
    """`connections` threads, each re-using one connection while the server keeps it open."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    headers = {"Host": HOST, "Accept-Encoding": "gzip", **headers}

    def worker(index: int) -> None:
        client = http.client.HTTPConnection(HOST, port, timeout=10)
        while (started := time.perf_counter()) < deadline:
            try:
                client.request("GET", path, headers=headers)
                response = client.getresponse()
                response.read()
                if response.status != 200:
                    errors[index] += 1
                if response.will_close:
                    client.close()
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                client.close()
            latencies[index].append(time.perf_counter() - started)
        client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - started
    samples = sorted(latency for per_thread in latencies for latency in per_thread)
    if not samples:
        return Result(0, elapsed, sum(errors), 0.0, 0.0)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Result(len(samples), elapsed, sum(errors), cuts[49] * 1e3, cuts[94] * 1e3)
