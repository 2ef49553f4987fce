"""Background work of the coaching app: scheduling, reminders and off-track notices. Each task takes plain
values, calls one service, and is safe to run twice or to be delivered twice."""

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from kpis.models import PlanActual, Scope, Status
from kpis.selectors import latest_closed_month

from .selectors.checkpoints import reminders_due
from .services import checkpoints as services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def checkpoints_schedule() -> int:
    """Keep every RM's checkpoints created for the coming eight weeks (and the next monthly, quarterly and
    semiannual ones); creates only what is missing."""
    return services.checkpoints_schedule(now=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def reminders_dispatch() -> int:
    """Find the reminders due now and send each through its own task (each sent exactly once)."""
    due = reminders_due(now=timezone.now())
    for reminder in due:
        reminder_send.delay(reminder.checkpoint_id, reminder.kind, reminder.recipient_id)
    return len(due)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def reminder_send(checkpoint_id: int, kind: str, recipient_id: int) -> bool:
    """Send one reminder; a second delivery of the same reminder sends nothing."""
    return services.reminder_send(
        checkpoint_id=checkpoint_id, kind=kind, recipient_id=recipient_id, now=timezone.now()
    )


@shared_task(acks_late=True, reject_on_worker_lost=True)
def offtrack_notify(year: int | None = None, month: int | None = None) -> int:
    """After the month-end snapshot: tell each RM and their leader which of the RM's metrics are off track
    (one in-app notification per person, metric and month, however often this runs)."""
    if year is None or month is None:
        year, month = latest_closed_month(timezone.localdate())
    rows = PlanActual.objects.filter(
        scope=Scope.RM, year=year, month=month, status=Status.OFF_TRACK
    ).select_related("metric")
    owners = {
        u.pk: u for u in User.objects.filter(pk__in=rows.values("scope_id")).select_related("team__leader")
    }
    created = 0
    for row in rows:
        rm = owners.get(row.scope_id)
        if rm is None:
            continue
        title = _("%(metric)s is off track for %(rm)s (%(year)s-%(month)02d year to date)") % {
            "metric": str(row.metric),
            "rm": rm.display_name,
            "year": year,
            "month": month,
        }
        body = _("Actual %(actual)s against a plan of %(plan)s.") % {
            "actual": row.actual_to_date,
            "plan": row.plan_to_date,
        }
        for person in filter(None, [rm, rm.team.leader if rm.team else None]):
            created += services.notify(
                user=person,
                key=f"offtrack:{year}-{month:02d}:{row.metric_id}:{rm.pk}",
                title=title,
                body=body,
                url=f"/kpis/dashboard/rm/{rm.pk}/?year={year}&month={month}",
            )
    return created
