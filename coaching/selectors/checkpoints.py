"""Reads of checkpoints: visibility, the meeting's plan-versus-actual snapshot, carried action items, due
reminders and cadence health. Aggregates run in the database; nothing here loops over rows of activity."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import owned_by_visible, users_visible_to
from kpis import calculations as kc
from kpis import selectors as kpi_selectors
from kpis.models import OPEN_STAGES, Direction, MetricKind, Opportunity, Scope, Target

from .. import calculations
from ..models import (
    ActionItem,
    Cadence,
    Checkpoint,
    CheckpointStatus,
    ReminderKind,
    ReminderSent,
)

STALE_CONVERSATION_DAYS = 31
ESCALATE_AFTER_SKIPS = 2
ESCALATION_WINDOW_DAYS = 90


def checkpoints_visible_to(*, viewer: User) -> QuerySet[Checkpoint]:
    """Checkpoints of the RMs the viewer may see (and their own, as RM)."""
    return owned_by_visible(
        viewer=viewer, queryset=Checkpoint.objects.select_related("rm__team", "leader"), owner_field="rm"
    )


# --- The meeting's snapshot ------------------------------------------------------------------------------


@dataclass
class Snapshot:
    start: datetime.date
    end: datetime.date
    rows: list[dict] = field(default_factory=list)

    @property
    def off_track(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "off_track"]

    def as_json(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "rows": self.rows}


def _plan_between(target: Target, start: datetime.date, end: datetime.date) -> Decimal | None:
    shares = kc.month_shares(target.distribution.weights if target.distribution else None)
    kind = target.metric.kind
    if kind == MetricKind.FLOW:
        return kc.flow_plan_between(
            target.value,
            shares,
            max(start, datetime.date(target.year, 1, 1)),
            min(end, datetime.date(target.year, 12, 31)),
            target.year,
        )
    if kind == MetricKind.BALANCE:
        return kc.balance_plan_on(target.baseline or kc.ZERO, target.value, shares, end)
    return target.value


def previous_held(checkpoint: Checkpoint) -> datetime.date | None:
    held = Checkpoint.objects.filter(
        rm=checkpoint.rm_id,
        kind=checkpoint.kind,
        status=CheckpointStatus.HELD,
        held_at__lt=checkpoint.scheduled_at,
    ).aggregate(m=Max("held_at"))["m"]
    return held.date() if held else None


def checkpoint_snapshot(*, checkpoint: Checkpoint, today: datetime.date) -> Snapshot:
    """Plan versus actual for the RM over the period since the previous held checkpoint of the same kind
    (the kind's usual length when there was none), for every metric the RM has a target for this year.
    One aggregate per source table; off-track metrics become proposed problems."""
    day = min(checkpoint.scheduled_at.date(), today)
    start, end = calculations.snapshot_period(
        kind=checkpoint.kind, meeting_day=day, previous_held=previous_held(checkpoint)
    )
    period = kc.Period(start, end, f"{start.isoformat()}/{end.isoformat()}")
    targets = list(
        Target.objects.filter(user=checkpoint.rm_id, year=end.year)
        .select_related("metric__forecast_metric", "distribution")
        .order_by("metric__display_order")
    )
    rm = checkpoint.rm
    actuals = kpi_selectors.actuals_by_scope(
        metrics=[t.metric for t in targets],
        scopes=[Scope.RM],
        period=period,
        viewer=rm,
        within=(Scope.RM, [rm.pk]),
    )[Scope.RM]
    rows = []
    for target in targets:
        metric = target.metric
        plan = _plan_between(target, start, end)
        actual = actuals[metric.pk].get(rm.pk)
        if actual is None and metric.kind != MetricKind.RATIO:
            actual = kc.ZERO
        status = kc.status(
            actual,
            plan,
            lower_is_better=metric.direction == Direction.LOWER,
            at_risk=metric.tolerance_at_risk,
            off_track=metric.tolerance_off_track,
        )
        rows.append(
            {
                "metric_id": metric.pk,
                "metric": str(metric),  # as the opener read it; shown in the reader's language from:
                "metric_name": metric.name,  # the catalogue's name, frozen with the snapshot
                "unit": metric.unit,
                "plan": _str(plan),
                "actual": _str(actual),
                "variance": _str(kc.variance(actual, plan)),
                "attainment": _str(kc.attainment(actual, plan), 4),
                "status": status,
                "problem": _(
                    "%(metric)s is off track: %(actual)s against a plan of %(plan)s since %(start)s."
                )
                % {
                    "metric": str(metric),
                    "actual": _shown(actual, metric.unit),
                    "plan": _shown(plan, metric.unit),
                    "start": date_format(start, "SHORT_DATE_FORMAT"),
                },
            }
        )
    return Snapshot(start, end, rows)


def _shown(value: Decimal | None, unit: str) -> str:
    """A figure as the reader writes it: 44,217,304 (or 44 217 304), 12.5, 85 %."""
    if value is None:
        return "—"
    if unit == "percent":
        return number_format(value * 100, decimal_pos=0, use_l10n=True) + " %"
    places = 0 if abs(value) >= 100 else 1
    return number_format(kc.rounded(value, places), decimal_pos=places, use_l10n=True, force_grouping=True)


def _str(value: Decimal | None, places: int = 2) -> str | None:
    return None if value is None else str(kc.rounded(value, places))


def open_action_items(*, rm: User) -> QuerySet[ActionItem]:
    """The RM's action items not done yet, whichever meeting they came from: they carry to the next one."""
    return ActionItem.objects.filter(rm=rm, done_at__isnull=True).select_related("owner", "checkpoint")


def deals_in_play(*, rm: User) -> QuerySet[Opportunity]:
    return (
        Opportunity.objects.filter(owner=rm, stage__in=OPEN_STAGES)
        .select_related("account", "product")
        .order_by("close_date", "-value")
    )


# --- Reminders -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    checkpoint_id: int
    kind: str
    recipient_id: int


def reminders_due(*, now: datetime.datetime) -> list[DueReminder]:
    """Every reminder that should have gone out by now and has not (a fixed number of queries):

    - meeting: to the RM and the leader, the cadence's reminder hours before a scheduled meeting;
    - preparation: to the RM, twice that long before, while their preparation notes are empty;
    - overdue: to the leader, when a meeting is past the cadence's late tolerance and not held;
    - escalation: to the region's director, when an RM has had 2 or more meetings skipped or overdue in
      the last 90 days (sent once, for the latest of them).
    """
    team_cadences = {c.team_id: c for c in Cadence.objects.filter(team__isnull=False)}
    rm_cadences = {c.rm_id: c for c in Cadence.objects.filter(rm__isnull=False)}
    longest = max([c.reminder_hours for c in [*team_cadences.values(), *rm_cadences.values()]] + [24])
    tolerance = max([c.late_tolerance_days for c in [*team_cadences.values(), *rm_cadences.values()]] + [2])
    sent = ReminderSent.objects.filter(checkpoint=OuterRef("pk"))
    upcoming = (
        Checkpoint.objects.filter(
            status=CheckpointStatus.SCHEDULED,
            scheduled_at__gt=now,
            scheduled_at__lte=now + datetime.timedelta(hours=2 * longest),
        )
        .select_related("rm")
        .annotate(
            meeting_sent=Exists(sent.filter(kind=ReminderKind.MEETING)),
            prep_sent=Exists(sent.filter(kind=ReminderKind.PREPARATION)),
        )
    )
    due = []
    for cp in upcoming:
        cadence = rm_cadences.get(cp.rm_id) or team_cadences.get(cp.rm.team_id) or Cadence()
        hours_left = (cp.scheduled_at - now).total_seconds() / 3600
        if hours_left <= cadence.reminder_hours and not cp.meeting_sent:
            due += [
                DueReminder(cp.pk, ReminderKind.MEETING, cp.rm_id),
                DueReminder(cp.pk, ReminderKind.MEETING, cp.leader_id),
            ]
        if hours_left <= 2 * cadence.reminder_hours and not cp.prep_sent and not cp.prep_notes.strip():
            due.append(DueReminder(cp.pk, ReminderKind.PREPARATION, cp.rm_id))
    overdue = (
        Checkpoint.objects.filter(
            status__in=[CheckpointStatus.SCHEDULED, CheckpointStatus.OPEN],
            scheduled_at__lt=now - datetime.timedelta(days=1),
            scheduled_at__gte=now - datetime.timedelta(days=ESCALATION_WINDOW_DAYS),
        )
        .select_related("rm")
        .annotate(sent=Exists(sent.filter(kind=ReminderKind.OVERDUE)))
    )
    for cp in overdue:
        cadence = rm_cadences.get(cp.rm_id) or team_cadences.get(cp.rm.team_id) or Cadence()
        if not cp.sent and cp.scheduled_at + datetime.timedelta(days=cadence.late_tolerance_days) < now:
            due.append(DueReminder(cp.pk, ReminderKind.OVERDUE, cp.leader_id))
    window = now - datetime.timedelta(days=ESCALATION_WINDOW_DAYS)
    missed = Q(status=CheckpointStatus.SKIPPED) | Q(
        status__in=[CheckpointStatus.SCHEDULED, CheckpointStatus.OPEN],
        scheduled_at__lt=now - datetime.timedelta(days=tolerance),
    )
    repeated = (
        Checkpoint.objects.filter(missed, scheduled_at__gte=window, scheduled_at__lt=now)
        .values("rm_id", "rm__team__region__director_id")
        .annotate(n=Count("pk"), latest=Max("pk"))
        .filter(n__gte=ESCALATE_AFTER_SKIPS, rm__team__region__director_id__isnull=False)
        .order_by()
    )
    escalated = set(
        ReminderSent.objects.filter(
            kind=ReminderKind.ESCALATION,
            checkpoint__rm__in=[r["rm_id"] for r in repeated],
            sent_at__gte=window,
        ).values_list("checkpoint__rm_id", flat=True)
    )
    for row in repeated:
        if row["rm_id"] not in escalated:
            due.append(
                DueReminder(row["latest"], ReminderKind.ESCALATION, row["rm__team__region__director_id"])
            )
    return due


# --- Cadence health --------------------------------------------------------------------------------------


@dataclass
class Health:
    label: str
    id: int
    on_time: int = 0
    late: int = 0
    skipped: int = 0
    overdue: int = 0
    last_held: datetime.datetime | None = None
    today: datetime.date | None = None

    @property
    def past(self) -> int:
        return self.on_time + self.late + self.skipped + self.overdue

    def share(self, part: int) -> Decimal | None:
        return kc.ratio(part, self.past)

    @property
    def on_time_share(self):
        return self.share(self.on_time)

    @property
    def late_share(self):
        return self.share(self.late)

    @property
    def skipped_share(self):
        return self.share(self.skipped + self.overdue)

    @property
    def days_since_last(self) -> int | None:
        if self.last_held is None or self.today is None:
            return None
        return (self.today - self.last_held.date()).days

    @property
    def stale(self) -> bool:
        """No conversation held for more than 31 days (or never)."""
        days = self.days_since_last
        return days is None or days > STALE_CONVERSATION_DAYS


def cadence_health(
    *, viewer: User, by: str, now: datetime.datetime, since: datetime.date | None = None
) -> list[Health]:
    """Share of past checkpoints held on time, late, skipped (or overdue, never held) and days since the last
    held one, per RM, leader or region the viewer may see. One aggregate query plus the owners."""
    since = since or (now.date() - datetime.timedelta(days=182))
    base = checkpoints_visible_to(viewer=viewer).filter(scheduled_at__lt=now, scheduled_at__date__gte=since)
    key = {"rm": "rm_id", "leader": "leader_id", "region": "rm__team__region_id"}[by]
    overdue_before = now - datetime.timedelta(days=2)
    rows = {
        r[key]: r
        for r in base.order_by()
        .values(key)
        .annotate(
            on_time=Count("pk", filter=Q(status=CheckpointStatus.HELD, held_late=False)),
            late=Count("pk", filter=Q(status=CheckpointStatus.HELD, held_late=True)),
            skipped=Count("pk", filter=Q(status=CheckpointStatus.SKIPPED)),
            overdue=Count(
                "pk",
                filter=Q(
                    status__in=[CheckpointStatus.SCHEDULED, CheckpointStatus.OPEN],
                    scheduled_at__lt=overdue_before,
                ),
            ),
            last_held=Max("held_at"),
        )
    }
    if by == "rm":
        owners = [
            (u.pk, u.display_name)
            for u in users_visible_to(viewer=viewer).with_role(Role.RM).order_by("display_name")
        ]
    elif by == "leader":
        leaders = (
            users_visible_to(viewer=viewer).with_role(Role.LEADER)
            if viewer.role != Role.LEADER
            else User.objects.filter(pk=viewer.pk)
        )
        owners = [(u.pk, u.display_name) for u in leaders.order_by("display_name")]
    else:
        from accounts.selectors import regions_visible_to

        owners = [(r.pk, r.name) for r in regions_visible_to(viewer=viewer).order_by("name")]
    result = []
    for owner_id, label in owners:
        r = rows.get(owner_id, {})
        result.append(
            Health(
                label,
                owner_id,
                r.get("on_time", 0),
                r.get("late", 0),
                r.get("skipped", 0),
                r.get("overdue", 0),
                r.get("last_held"),
                now.date(),
            )
        )
    return result


def upcoming_for(*, viewer: User, now: datetime.datetime, limit: int = 10) -> QuerySet[Checkpoint]:
    """The viewer's next meetings: as RM their own, as leader the ones they run."""
    qs = checkpoints_visible_to(viewer=viewer).filter(
        status__in=[CheckpointStatus.SCHEDULED, CheckpointStatus.OPEN],
        scheduled_at__gte=now - datetime.timedelta(hours=12),
    )
    if viewer.role == Role.RM:
        qs = qs.filter(rm=viewer)
    elif viewer.role == Role.LEADER:
        qs = qs.filter(leader=viewer)
    return qs.order_by("scheduled_at")[:limit]


# --- The checkpoint pages (appended for the checkpoint pages) ---------------------------------------------


def checkpoint_list(*, viewer: User) -> QuerySet[Checkpoint]:
    """The checkpoints the viewer may see, with the RM, their team and the leader joined."""
    return checkpoints_visible_to(viewer=viewer)


def checkpoint_detail(*, viewer: User, pk: int) -> Checkpoint | None:
    """One visible checkpoint with everything its meeting page shows prefetched (None when not visible)."""
    from django.db.models import Prefetch

    from ..models import CheckpointEvent

    return (
        checkpoints_visible_to(viewer=viewer)
        .select_related("review")
        .prefetch_related(
            "problems",
            "decisions",
            "surprises",
            Prefetch("events", queryset=CheckpointEvent.objects.select_related("by")),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass
class MeetingActions:
    carried: list[ActionItem]  # from earlier meetings: still open, or done in this one
    new: list[ActionItem]  # decided in this meeting


def meeting_action_items(*, checkpoint: Checkpoint) -> MeetingActions:
    """The RM's open action items carried from earlier meetings (and those done in this one), and the items
    decided in this meeting; one query."""
    items = (
        ActionItem.objects.filter(rm=checkpoint.rm_id)
        .filter(Q(done_at__isnull=True) | Q(done_in=checkpoint) | Q(checkpoint=checkpoint))
        .select_related("owner", "checkpoint")
        .order_by("due_date", "pk")
    )
    carried, new = [], []
    for item in items:
        if item.checkpoint_id == checkpoint.pk:
            new.append(item)
        elif item.done_in_id == checkpoint.pk or item.checkpoint.scheduled_at < checkpoint.scheduled_at:
            carried.append(item)
    return MeetingActions(carried=carried, new=new)


def approved_plan(*, rm: User, year: int):
    """The RM's approved plan for the year, if any (the one a meeting may reset)."""
    from ..models import Plan, PlanStatus

    return Plan.objects.filter(owner=rm, year=year, status=PlanStatus.APPROVED).first()


def calendar_checkpoints(*, user: User, now: datetime.datetime) -> QuerySet[Checkpoint]:
    """The person's own meetings for their calendar feed, from 30 days back to 120 days ahead, cancelled ones
    left out: as RM their own, as leader those they run. Never anybody else's."""
    return (
        Checkpoint.objects.filter(Q(rm=user) | Q(leader=user))
        .filter(
            scheduled_at__gte=now - datetime.timedelta(days=30),
            scheduled_at__lte=now + datetime.timedelta(days=120),
        )
        .exclude(status=CheckpointStatus.CANCELLED)
        .select_related("rm", "leader")
        .annotate(moves=Count("events", filter=Q(events__action="rescheduled")))
        .order_by("scheduled_at", "pk")
    )


def notifications_for(*, user: User) -> QuerySet:
    """The person's in-app notifications, newest first."""
    from ..models import Notification

    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")
