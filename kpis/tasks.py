"""Background work of the kpis app. Each task takes plain values, calls one service, and is safe to repeat."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from salesplan.queue import enqueue

from . import selectors, services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def plan_actual_snapshot(year: int, month: int) -> int:
    """Store plan versus actual for one month (year to date); running it again changes nothing more."""
    return services.plan_actual_store(year=year, month=month, now=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def plan_actual_month_end() -> int:
    """At each month end: snapshot the month that has just closed."""
    year, month = selectors.latest_closed_month(timezone.localdate())
    return services.plan_actual_store(year=year, month=month, now=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_job_run(job_id: int) -> str:
    """Run a CSV import uploaded in the browser: all its rows or none; a finished job is not run again."""
    from .importers import import_job_execute  # the importers module enqueues this task: import it here

    return import_job_execute(job_id=job_id)


REQUEUE_AFTER = timedelta(minutes=10)  # a job still queued after this has lost its message (broker was down)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_jobs_requeue() -> int:
    """Send again the task of each import job still queued after a while, whose message never reached the
    broker (it was down at upload time); a job sent twice is still imported once."""
    from .models import ImportJob, ImportStatus

    stale = ImportJob.objects.filter(
        status=ImportStatus.QUEUED, created_at__lt=timezone.now() - REQUEUE_AFTER
    ).values_list("pk", flat=True)
    return sum(enqueue(import_job_run, pk) for pk in stale)
