"""A worker process killed in the middle of a task: the task runs again in another worker, and its effect
happens once. With Redis the message taken by the dead worker comes back after the visibility timeout (3 s
here through CELERY_VISIBILITY_TIMEOUT, an hour by default)."""

import signal

import pytest
from django.core.cache.backends.redis import RedisCache

from kpis import tasks
from kpis.importers.jobs import _progress_key
from kpis.models import Activity, ImportJob, ImportStatus
from tests.factories.kpis import ImportJobFactory
from tests.factories.targeting import AccountFactory
from tests.faults.conftest import wait_for
from tests.kpis.test_import_task import activities_file

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROWS = 30_000  # enough for the import to take a few seconds in a worker (about 6,000 a second here)


def test_an_import_whose_worker_is_killed_runs_again_and_imports_each_row_once(org, redis_server, workers):
    AccountFactory(legal_name="Acme SAS", owner=org.rm_a1)
    job = ImportJobFactory(
        created_by=org.leader_a1, content=activities_file(org.rm_a1, *["conversation"] * ROWS)
    )
    first = workers.start("doomed")
    tasks.import_job_run.apply_async([job.pk], retry=False)
    workers_cache = RedisCache(redis_server.url, {})  # where the workers write an import's progress

    def checked_rows() -> int:
        running = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).first()
        if running is None or running.started_at is None:
            return 0
        return (workers_cache.get(_progress_key(job.pk, running.started_at)) or (0, 0))[0]

    try:
        wait_for(
            lambda: checked_rows() > 0, timeout=20, what="the import to be running in the first worker", poll=0.05
        )  # fmt: skip
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        job.refresh_from_db()
        assert job.status == ImportStatus.RUNNING, "the worker must be killed before the import finishes"
        assert Activity.objects.count() == 0, "the killed run's transaction left nothing"
        workers.start("second")
        wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, status=ImportStatus.DONE).exists(),
            timeout=25, what="the import to run again and finish in the second worker",
        )  # fmt: skip
        wait_for(redis_server.idle, timeout=10, what="the message to be acknowledged")
    finally:
        output = workers.stop_all()
    job.refresh_from_db()
    assert (job.rows_done, job.report["created"]) == (ROWS, ROWS), output
    assert Activity.objects.count() == ROWS, f"each row imported once; workers said:\n{output}"
