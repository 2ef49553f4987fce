"""A real Celery worker process takes the same reminder twice through Redis: one e-mail, one record."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from coaching.models import Checkpoint, ReminderSent
from salesplan.celery import app
from tests.conftest import redis_reachable, require
from tests.test_celery import _database_url_for_worker


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_reminder_delivered_twice_to_a_real_worker_is_sent_once(org, tmp_path):
    require(redis_reachable(), "a Redis server on 127.0.0.1:6379 (redis-server)")
    at = timezone.now() + dt.timedelta(hours=3)
    checkpoint = Checkpoint.objects.create(rm=org.rm_a1, leader=org.leader_a1, kind="weekly", period="2099-W01",
                                           scheduled_at=at, originally_at=at)  # fmt: skip
    queue, mail_dir = f"test-{uuid.uuid4().hex[:12]}", tmp_path / "mail"
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "salesplan.settings", "DATABASE_URL": _database_url_for_worker(),
        "REDIS_URL": "redis://127.0.0.1:6379/15", "EMAIL_URL": f"filemail:///{mail_dir}",
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz", "DEBUG": "false",
    }  # fmt: skip
    # Two worker processes on one private queue: the duplicate delivery may run in either, even at once.
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "salesplan", "worker", "--pool", "solo", "-Q", queue,
             "-n", f"w{n}-{queue}@test", "--without-heartbeat", "--without-gossip", "--without-mingle",
             "--loglevel", "WARNING"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for n in range(2)
    ]  # fmt: skip
    try:
        with app.connection_for_write("redis://127.0.0.1:6379/15") as conn:
            for _ in range(2):  # the same message delivered twice
                app.send_task("coaching.tasks.reminder_send", args=[checkpoint.pk, "meeting", org.rm_a1.pk],
                              queue=queue, connection=conn)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if ReminderSent.objects.exists() and mail_dir.exists() and list(mail_dir.glob("*.log")):
                time.sleep(2)  # give the duplicate time to run too
                break
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.terminate()
        outputs = [w.communicate(timeout=30)[0] for w in workers]
    assert ReminderSent.objects.count() == 1, outputs
    mails = list(mail_dir.glob("*.log"))
    assert len(mails) == 1 and mails[0].read_text().count("Subject:") == 1, outputs
