"""Celery: the schedule names real tasks, and a real worker process takes a task through Redis."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts import services
from accounts.models import User
from salesplan.celery import app
from tests.conftest import redis_reachable, require
from tests.factories.accounts import RMFactory


def test_every_scheduled_task_is_a_registered_task():
    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names unknown task {entry['task']}"
        assert entry.get("options", {}).get("expires"), f"beat entry {name} has no expires"


@pytest.mark.django_db
def test_invitation_is_sent_once_however_often_the_task_runs(mailoutbox):
    user = RMFactory()
    User.objects.filter(pk=user.pk).update(invitation_requested_at=timezone.now())
    assert services.invitation_send(user_id=user.pk, base_url="https://sp.example", now=timezone.now())
    assert not services.invitation_send(user_id=user.pk, base_url="https://sp.example", now=timezone.now())
    assert len(mailoutbox) == 1
    assert "https://sp.example/password/reset/" in mailoutbox[0].body


@pytest.mark.django_db
def test_a_new_invitation_request_sends_again(mailoutbox, admin_user):
    user = RMFactory()
    services.user_invite(user=user, by=admin_user, now=timezone.now())
    services.invitation_send(user_id=user.pk, base_url="https://sp.example", now=timezone.now())
    services.user_invite(user=user, by=admin_user, now=timezone.now())
    services.invitation_send(user_id=user.pk, base_url="https://sp.example", now=timezone.now())
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_only_an_admin_invites(org):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="Only an administrator"):
        services.user_invite(user=org.rm_a1, by=org.director_a, now=timezone.now())


def _database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_takes_a_task_through_redis_and_changes_the_database(tmp_path):
    require(redis_reachable(), "a Redis server on 127.0.0.1:6379 (redis-server)")
    queue = f"test-{uuid.uuid4().hex[:12]}"  # a private queue: no other worker can take the task
    user = RMFactory()
    User.objects.filter(pk=user.pk).update(invitation_requested_at=timezone.now())
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesplan.settings",
        "DATABASE_URL": _database_url_for_worker(),
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "EMAIL_URL": f"filemail:///{mail_dir}",  # django-environ drops one leading slash
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "false",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "salesplan", "worker", "--pool", "solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        with app.connection_for_write("redis://127.0.0.1:6379/15") as conn:
            app.send_task("accounts.tasks.invitation_send", args=[user.pk], queue=queue, connection=conn)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            user.refresh_from_db()
            if user.invitation_sent_at:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert user.invitation_sent_at is not None, f"the worker did not run the task; its output:\n{output}"
    mails = list(mail_dir.glob("*.log"))
    assert len(mails) == 1 and user.email in mails[0].read_text()
