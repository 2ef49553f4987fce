"""Redis stopped: every page that enqueues work still answers at once, the work waits as rows, and once Redis is
back the work runs, each piece once (imports, invitations, and the reminders that fell due meanwhile)."""

import datetime as dt
import time

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User
from accounts.tasks import invitations_requeue
from coaching import tasks as coaching_tasks
from coaching.models import Checkpoint, ReminderSent
from coaching.selectors.checkpoints import reminders_due
from kpis.models import Activity, ImportJob, ImportStatus
from kpis.tasks import import_jobs_requeue
from tests.factories.targeting import AccountFactory
from tests.faults.conftest import wait_for
from tests.kpis.test_import_task import activities_file

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

QUICK = 3.0  # seconds: the longest a page may take with the broker down


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_with_redis_stopped_the_pages_that_enqueue_answer_quickly_and_the_work_runs_once_it_is_back(
    org, leader_client, admin_client, redis_server, workers
):
    AccountFactory(legal_name="Acme SAS", owner=org.rm_a1)
    redis_server.stop()

    upload = SimpleUploadedFile("acts.csv", activities_file(org.rm_a1, "conversation", "appointment"))
    response, upload_took = _timed(
        lambda: leader_client.post(reverse("kpis:import"), {"kind": "activities", "file": upload})
    )
    assert response.status_code == 302, f"the upload answered {response.status_code} with the broker down"
    assert upload_took < QUICK, f"the upload took {upload_took:.1f} s with the broker down"
    assert any("task queue is unavailable" in m for m in _messages(response)), _messages(response)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.QUEUED
    assert leader_client.get(response.url).status_code == 200, "the job's page must answer too"

    changelist = reverse("admin:accounts_user_changelist")
    response, invite_took = _timed(
        lambda: admin_client.post(
            changelist, {"action": "send_invitation", "_selected_action": [org.rm_a2.pk]}
        )
    )
    assert response.status_code == 302, f"the invitation action answered {response.status_code}"
    assert invite_took < QUICK, f"the invitation action took {invite_took:.1f} s with the broker down"
    assert any("invitations are recorded" in m for m in _messages(response)), _messages(response)
    org.rm_a2.refresh_from_db()
    assert org.rm_a2.invitation_requested_at is not None and org.rm_a2.invitation_sent_at is None

    response, snapshot_took = _timed(
        lambda: admin_client.post(reverse("admin:kpis_planactual_snapshot"), {"year": 2026, "month": 1})
    )
    assert response.status_code == 302, f"the snapshot page answered {response.status_code}"
    assert snapshot_took < QUICK, f"the snapshot page took {snapshot_took:.1f} s with the broker down"
    assert any("compute the snapshot again" in m for m in _messages(response)), _messages(response)
    print(
        f"broker down: upload {upload_took:.2f} s, invitation {invite_took:.2f} s, snapshot {snapshot_took:.2f} s"
    )

    # Redis comes back, empty; the periodic requeue finds the work left waiting (made old enough here).
    redis_server.start()
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ImportJob.objects.update(created_at=long_ago)
    User.objects.filter(pk=org.rm_a2.pk).update(invitation_requested_at=long_ago)
    workers.start()
    assert import_jobs_requeue() == 1 and invitations_requeue() == 1
    assert import_jobs_requeue() == 1 and invitations_requeue() == 1, "sent twice: still each done once"
    try:
        wait_for(
            lambda: ImportJob.objects.get().status == ImportStatus.DONE and len(workers.mails()) == 1,
            timeout=20, what="the import and the invitation after Redis came back",
        )  # fmt: skip
        wait_for(redis_server.idle, timeout=10, what="the duplicates to run too")
    finally:
        output = workers.stop_all()
    assert Activity.objects.count() == 2, output
    assert "".join(workers.mails()).count("Subject:") == 1, output
    assert import_jobs_requeue() == 0 and invitations_requeue() == 0, "nothing is left waiting"


def test_reminders_due_while_redis_was_down_are_sent_once_after_it_returns(org, redis_server, workers):
    at = timezone.now() + dt.timedelta(hours=3)
    Checkpoint.objects.create(rm=org.rm_a1, leader=org.leader_a1, kind="weekly", period="2099-W01",
                              scheduled_at=at, originally_at=at)  # fmt: skip
    due = reminders_due(now=timezone.now())
    assert len(due) == 3, "a meeting reminder to the RM and the leader, a preparation reminder to the RM"
    redis_server.stop()
    started = time.monotonic()
    with pytest.raises(OperationalError):  # what beat meets: the dispatch cannot be sent
        coaching_tasks.reminders_dispatch.apply_async(retry=False)
    with pytest.raises(OperationalError):  # nor, in a dispatch already running, each reminder
        coaching_tasks.reminders_dispatch()
    assert time.monotonic() - started < QUICK
    assert not ReminderSent.objects.exists()

    redis_server.start()
    workers.start()
    for _ in range(2):  # beat's next run, and one more (or the same message twice)
        coaching_tasks.reminders_dispatch.apply_async(retry=False)
    try:
        wait_for(
            lambda: ReminderSent.objects.count() == 3 and "".join(workers.mails()).count("Subject:") >= 3,
            timeout=20, what="the three reminders after Redis came back",
        )  # fmt: skip
        wait_for(redis_server.idle, timeout=10, what="the second dispatch's duplicates to run too")
    finally:
        output = workers.stop_all()
    assert ReminderSent.objects.count() == 3, output
    assert "".join(workers.mails()).count("Subject:") == 3, output
    assert reminders_due(now=timezone.now()) == [], "nothing is due any more"
