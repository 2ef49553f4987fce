"""Fault tests: a private Redis server this test may stop and start, real Celery worker processes on it,
and the web code of this process pointed at it. The machine's shared Redis on 6379 is never touched."""

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from django.conf import settings

from salesplan.celery import app
from tests.conftest import require
from tests.test_celery import _database_url_for_worker

VISIBILITY_TIMEOUT = 3  # seconds: a message whose worker was killed comes back this soon


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, poll: float = 0.1):
    """Poll `condition` until it returns something true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(poll)
    pytest.fail(f"waited {timeout} s for {what}")


@dataclass
class PrivateRedis:
    """A throwaway redis-server on a free port, with nothing saved to disk; stop() and start() again on
    the same port simulate the broker going away and coming back (its queues are lost, as after a crash)."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def idle(self) -> bool:
        """No message waiting on the default queue and none taken but not acknowledged (tasks are
        acknowledged late: when this is true, every delivery has finished). Looked at twice, 0.3 s apart, as
        a message is in neither place for the instant between its worker taking and recording it."""
        client = redis.Redis(port=self.port)
        try:
            for pause in (0.3, 0):
                if client.llen("celery") or client.hlen("unacked"):
                    return False
                time.sleep(pause)
            return True
        finally:
            client.close()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


def _point_app_at(url: str, options: dict) -> None:
    app.conf.broker_url = url
    app.conf.broker_transport_options = options
    app._pool = None  # connections are pooled per broker: forget the old pool
    app.amqp._producer_pool = None


@pytest.fixture
def redis_server():
    """A private Redis server, running; this process's Celery app sends its tasks there."""
    require(bool(shutil.which("redis-server")), "the redis-server program")
    server = PrivateRedis()
    server.start()
    previous = (app.conf.broker_url, app.conf.broker_transport_options)
    _point_app_at(server.url, {**settings.REDIS_TRANSPORT_OPTIONS, "visibility_timeout": VISIBILITY_TIMEOUT})
    try:
        yield server
    finally:
        _point_app_at(*previous)
        server.stop()


@dataclass
class Workers:
    """Real `celery worker` processes on the private Redis server and the test database."""

    redis: PrivateRedis
    mail_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str = "w") -> subprocess.Popen:
        env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "salesplan.settings", "DATABASE_URL": _database_url_for_worker(),
            "REDIS_URL": self.redis.url, "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "EMAIL_URL": f"filemail:///{self.mail_dir}",  # django-environ drops one leading slash
            "SECRET_KEY": "worker-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz", "DEBUG": "false",
            "CONN_MAX_AGE": "0",
        }  # fmt: skip
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "salesplan", "worker", "--pool", "solo",
             "-n", f"{name}-{self.redis.port}-{len(self.processes)}@test", "--without-heartbeat", "--without-gossip",
             "--without-mingle", "--loglevel", "WARNING"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.processes.append(worker)
        return worker

    def mails(self) -> list[str]:
        return [p.read_text() for p in sorted(self.mail_dir.glob("*.log"))] if self.mail_dir.exists() else []

    def stop_all(self) -> str:
        """Stop every worker still running and return what they printed (for failure messages)."""
        for worker in self.processes:
            if worker.poll() is None:
                worker.terminate()
        outputs = []
        for worker in self.processes:
            try:
                outputs.append(worker.communicate(timeout=20)[0] or "")
            except subprocess.TimeoutExpired:
                worker.kill()
                outputs.append(worker.communicate()[0] or "")
        return "\n".join(outputs)


@pytest.fixture
def workers(redis_server, tmp_path):
    """Start worker processes with `workers.start()`; all are stopped at the end of the test."""
    pool = Workers(redis=redis_server, mail_dir=tmp_path / "mail")
    try:
        yield pool
    finally:
        pool.stop_all()
