"""Background work of the kpis app. Each task takes plain values, calls one service, and is safe to repeat."""

from celery import shared_task
from django.utils import timezone

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
