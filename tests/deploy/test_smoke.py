"""The production smoke test (issue #16): the real production settings, and web, worker and beat
started from the committed Procfile's own lines, against PostgreSQL, a Redis of the test's own
(so it can be stopped), an S3 API (moto's server) and an SMTP server, all on loopback, driven over
HTTP as a TLS proxy would (`X-Forwarded-Proto: https`).

It checks what an operator relies on: pages and the API answer; static files are hashed,
compressed and cached for a year; an attachment goes to the bucket and comes back through the
permission-checked view; the beat sends a reminder (its schedule moved to every minute by the
setting an operator would use); `/health/ready` turns 503 when Redis stops and 200 when it is
back, and no page request fails in between.
"""

import datetime as dt
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone

from cbms.compliance import services as compliance
from cbms.models import Reminder
from cbms.reports.services import report_start
from members.services import api_token_issue
from tests.cbms.conftest import StallingSMTPServer, _database_url
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory, RtgRuleFactory
from tests.media.conftest import new_bucket
from tests.members.factories import CountryFactory, FocalPointFactory, SecretariatFactory

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTTPS = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile() -> dict[str, str]:
    """The Procfile's processes by name, as the file writes them."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    entries = (line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip(): command.strip() for name, command in entries}


def wait_for(check: Callable[[], bool], *, seconds: float, what: str, logs=None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (requests.RequestException, OSError, ValueError):
            pass  # not up yet (refused, reset, or not JSON yet)
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {seconds} s\n{logs() if logs else ''}")


class OwnRedis:
    """A Redis for this test alone, saved to its folder when stopped, so a restart finds the
    beat's schedule again (as a production Redis with persistence would)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             str(self.folder), "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, seconds=10, what="Redis started")

    def answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "save"],
            capture_output=True,
            check=False,
        )
        self.process.wait(10)


class Deployment:
    """The Procfile's processes, each in its own process group, logging to its own file."""

    def __init__(self, env: dict[str, str], folder: Path):
        self.env = env
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}

    def run(self, name: str, *, timeout: float) -> None:
        log = self.folder / f"{name}.log"
        with log.open("w") as out:
            done = subprocess.run(
                procfile()[name], shell=True, cwd=ROOT, env=self.env, stdout=out,
                stderr=subprocess.STDOUT, timeout=timeout, check=False,
            )  # fmt: skip
        assert done.returncode == 0, f"{name} failed:\n{log.read_text()[-3000:]}"

    def start(self, name: str) -> None:
        out = (self.folder / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            procfile()[name], shell=True, cwd=ROOT, env=self.env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-2500:]}" for path in self.folder.glob("*.log")
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def smtp():
    server = StallingSMTPServer()
    server.stall_on = 0  # never: every message is accepted at once
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _instance():
    """A CBM whose prioritisation RTG is due in about seven weeks: its 60-day reminder is due
    today; and a focal point's draft report to attach a file to."""
    today = timezone.localdate()
    afghanistan = CountryFactory(code="AFG", name="Afghanistan")
    focal_point = FocalPointFactory(username="fp-afg", country=afghanistan, email="fp@example.org")
    desk = SecretariatFactory(username="desk", email="desk@example.org")
    conference = ConferenceFactory(
        number=1,
        date=today - dt.timedelta(days=10),
        year=today.year,
        city="Kabul",
        host=afghanistan,
    )
    RtgRuleFactory(declaration__conference=conference)
    cbm = CBMFactory(code="CT", name="Counter Terrorism", desk_officer=desk)
    LeadRoleFactory(cbm=cbm, country=afghanistan, since=dt.date(2012, 6, 14))
    compliance.obligations_recompute(on=today)
    assert Reminder.objects.filter(due_on__lte=today, sent_at=None).exists()
    report = report_start(cbm=cbm, conference=conference, actor=focal_point, narrative="Done.")
    _, focal_key = api_token_issue(user=focal_point, second_factor=True)
    _, desk_key = api_token_issue(user=desk, second_factor=True)
    return report, focal_key, desk_key


def test_the_production_deployment_serves_stores_sends_and_survives_redis(
    transactional_db,
    smtp,
    s3_endpoint,
    s3_credentials,
    tmp_path,  # noqa: F811
):
    report, focal_key, desk_key = _instance()
    bucket = new_bucket(s3_endpoint, tmp_path / "media")
    redis = OwnRedis(tmp_path)
    redis.start()
    web = f"127.0.0.1:{free_port()}"
    (tmp_path / "prometheus").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "MEDIA_STORAGE_URL": bucket.url,
        "MEDIA_ROOT": str(bucket.local),
        "STATIC_ROOT": str(tmp_path / "static"),
        "BIND": web,
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "1",
        "REMINDERS_SEND_CRON": "* * * * *",
        "LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    env.pop("DEBUG", None)
    deployment = Deployment(env, tmp_path)
    try:
        deployment.run("release", timeout=300)
        for name in ("web", "worker", "beat"):
            deployment.start(name)
        site = requests.Session()
        site.headers.update(HTTPS)
        url = f"http://{web}"
        wait_for(
            lambda: site.get(f"{url}/health/live", timeout=2).status_code == 200,
            seconds=60, what="the web process answered", logs=deployment.logs,
        )  # fmt: skip
        _pages_and_static(site, url)
        _attachment_through_the_bucket(site, url, report, focal_key, desk_key, bucket)
        wait_for(
            lambda: smtp.accepted_by_recipient()["fp@example.org"] >= 1,
            seconds=120, what="the beat sent the reminder", logs=deployment.logs,
        )  # fmt: skip
        wait_for(
            lambda: site.get(f"{url}/health/ready", timeout=3).status_code == 200,
            seconds=120, what="ready", logs=deployment.logs,
        )  # fmt: skip
        _redis_outage(site, url, redis, deployment)
        # Scraped from loopback, as a Prometheus beside the web process would: the worker's task
        # runs (counted in Redis), the reminder, the obligations and the requests of this test.
        metrics = requests.get(f"{url}/metrics", timeout=5).text
        for name in ("hoa_celery_task_runs", "hoa_reminders_sent", "hoa_obligations"):
            assert re.search(rf"^{name}\S* [1-9]", metrics, re.MULTILINE), name
        assert re.search(r'^hoa_http_requests_total\{[^}]*status="200"[^}]*\} [1-9]', metrics, re.M)
    finally:
        deployment.stop()
        if redis.process and redis.process.poll() is None:
            redis.process.kill()


def _pages_and_static(site: requests.Session, url: str) -> None:
    assert requests.get(f"{url}/", timeout=5, allow_redirects=False).status_code == 301  # HTTPS
    home = site.get(f"{url}/", timeout=5)
    assert home.status_code == 200
    assert home.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    for path in ("/meetings/", "/cbms/", "/conferences/", "/api/v1/cbms/"):
        assert site.get(f"{url}{path}", timeout=10).status_code == 200, path
    stylesheet = re.search(
        r'href="(/static/vendor/bootstrap/bootstrap\.min\.\w{12}\.css)"', home.text
    )
    assert stylesheet, "the stylesheet has a hashed name"
    served = site.get(f"{url}{stylesheet[1]}", headers={"Accept-Encoding": "br"}, timeout=5)
    assert served.status_code == 200
    assert served.headers["Content-Encoding"] == "br"
    assert "immutable" in served.headers["Cache-Control"]
    assert "max-age=31536000" in served.headers["Cache-Control"]


def _attachment_through_the_bucket(site, url, report, focal_key, desk_key, bucket) -> None:
    api = f"{url}/api/v1/reports/{report.pk}"
    as_focal_point = {"Authorization": f"Token {focal_key}"}
    uploaded = site.post(
        f"{api}/attachments/", headers=as_focal_point, files={"file": ("plan.pdf", PDF)}, timeout=10
    )
    assert uploaded.status_code == 201, uploaded.text
    assert len(bucket.names()) == 1 and bucket.local_files() == []
    assert site.post(f"{api}/submit/", headers=as_focal_point, timeout=10).status_code == 200
    accepted = site.post(
        f"{api}/accept/",
        headers={"Authorization": f"Token {desk_key}"},
        json={"comment": "Thank you."},
        timeout=10,
    )
    assert accepted.status_code == 200, accepted.text
    # The link is https://, as the proxy is: the test speaks to gunicorn behind it.
    link = urlsplit(accepted.json()["attachments"][0]["url"]).path
    downloaded = site.get(f"{url}{link}", timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == PDF
    assert bucket.read(bucket.names()[0]) == PDF


def _redis_outage(site, url, redis: OwnRedis, deployment: Deployment) -> None:
    answers: list[int] = []
    stop = threading.Event()

    def browse():
        visitor = requests.Session()
        visitor.headers.update(HTTPS)
        while not stop.is_set():
            for path in ("/", "/meetings/", "/api/v1/meetings/"):
                try:
                    answers.append(visitor.get(f"{url}{path}", timeout=10).status_code)
                except requests.RequestException as error:
                    answers.append(repr(error))
            time.sleep(0.1)

    visitor = threading.Thread(target=browse, daemon=True)
    visitor.start()
    try:
        redis.stop()
        wait_for(
            lambda: (answer := _ready(site, url))[0] == 503 and "broker" in answer[1],
            seconds=20, what="ready turned 503 naming the broker", logs=deployment.logs,
        )  # fmt: skip
        time.sleep(2)
        redis.start()
        wait_for(
            lambda: _ready(site, url)[0] == 200,
            seconds=90, what="ready again with Redis back", logs=deployment.logs,
        )  # fmt: skip
    finally:
        stop.set()
        visitor.join(15)
    assert answers and set(answers) == {200}, f"requests lost during the outage: {answers}"


def _ready(site, url) -> tuple[int, list[str]]:
    response = site.get(f"{url}/health/ready", timeout=5)
    return response.status_code, response.json().get("failed", [])
