"""The same task delivered twice, to two real worker processes at once: one effect. (For reminders see
tests/coaching/test_reminder_worker.py.)"""

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import timezone

from kpis import services, tasks
from kpis.models import Activity, ImportJob, ImportStatus, MetricSource, PlanActual
from tests.factories.kpis import ActivityFactory, ImportJobFactory, MetricFactory, TargetFactory
from tests.factories.targeting import AccountFactory
from tests.faults.conftest import wait_for
from tests.kpis.test_import_task import activities_file

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROWS = 1500


def _twice_to_two_workers(workers, redis_server, task, *args) -> str:
    """Start two workers, send the same task twice, wait until both deliveries are acknowledged; return
    what the workers printed."""
    for name in ("one", "two"):
        workers.start(name)
    for _ in range(2):
        task.apply_async(args, retry=False)
    try:
        wait_for(redis_server.idle, timeout=25, what=f"both deliveries of {task.name} to finish", poll=0.2)
    finally:
        output = workers.stop_all()
    return output


def test_an_import_job_delivered_twice_imports_each_row_once(org, redis_server, workers):
    AccountFactory(legal_name="Acme SAS", owner=org.rm_a1)
    job = ImportJobFactory(created_by=org.leader_a1, content=activities_file(org.rm_a1, *["proposal"] * ROWS))
    output = _twice_to_two_workers(workers, redis_server, tasks.import_job_run, job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, output
    assert job.report["created"] == ROWS, output
    assert Activity.objects.count() == ROWS, f"each row imported once; workers said:\n{output}"
    assert ImportJob.objects.count() == 1


def _stored() -> list[tuple]:
    return list(
        PlanActual.objects.order_by("scope", "scope_id", "metric_id").values_list(
            "scope", "scope_id", "metric_id", "year", "month", "plan_to_date", "actual_to_date", "status"
        )
    )


def test_a_month_snapshot_delivered_twice_stores_the_same_rows_as_one_run(org, redis_server, workers):
    conversations = MetricFactory(code="conv", source=MetricSource.CONVERSATIONS)
    wins = MetricFactory(code="wins", source=MetricSource.WINS)
    for rm in (org.rm_a1, org.rm_a1_peer, org.rm_a2, org.rm_b1):
        TargetFactory(user=rm, metric=conversations, value=D("120"))
        TargetFactory(user=rm, metric=wins, value=D("12"))
    ActivityFactory.create_batch(4, owner=org.rm_a1, date=date(2026, 1, 20))
    output = _twice_to_two_workers(workers, redis_server, tasks.plan_actual_snapshot, 2026, 1)
    after_two_deliveries = _stored()
    assert after_two_deliveries, f"the snapshot stored nothing; workers said:\n{output}"
    PlanActual.objects.all().delete()
    services.plan_actual_store(year=2026, month=1, now=timezone.now())
    assert after_two_deliveries == _stored(), "two deliveries store exactly what one run stores"
