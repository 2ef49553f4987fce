"""Checkpoints: the recurring coaching meetings between a leader and an RM, their cadence, content,
reminders and notifications."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Team
from kpis.models import Metric


class CheckpointKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Semiannual review")


# The agenda of each kind of meeting (DESIGN.md, step 5), in the order it is run.
AGENDAS = {
    CheckpointKind.WEEKLY: [
        ("deals", _("Deals")),
        ("activities", _("Activities")),
        ("field_observation", _("Field observation")),
        ("behaviours", _("Behaviours")),
        ("skills", _("Skills")),
    ],
    CheckpointKind.MONTHLY: [
        ("business_adjustments", _("Business adjustments")),
        ("plan_progress", _("Plan progress")),
        ("decisions", _("Decisions for the coming periods")),
        ("surprises", _("Surprises")),
    ],
    CheckpointKind.SEMIANNUAL: [
        ("results", _("Results against targets")),
        ("standards", _("Activity standards")),
        ("skills_behaviours", _("Skills and behaviours")),
        ("development", _("Development plan")),
    ],
}
AGENDAS[CheckpointKind.QUARTERLY] = AGENDAS[CheckpointKind.MONTHLY]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")


class Cadence(models.Model):
    """When a team's checkpoints happen; an RM's own cadence (rm set, team empty) overrides the team's."""

    team = models.OneToOneField(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, null=True, blank=True, related_name="cadence"
    )
    rm = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("RM"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="cadence",
    )  # fmt: skip
    weekly = models.BooleanField(_("weekly checkpoint"), default=True)
    weekday = models.PositiveSmallIntegerField(
        _("weekly on"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    time = models.TimeField(_("at"), default="09:00")
    monthly = models.BooleanField(_("monthly checkpoint"), default=True)
    monthly_day = models.PositiveSmallIntegerField(
        _("monthly on working day"), default=3, help_text=_("The n-th working day of the month (1 to 10).")
    )
    quarterly = models.BooleanField(_("quarterly checkpoint"), default=True)
    semiannual = models.BooleanField(_("semiannual review"), default=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=45)
    reminder_hours = models.PositiveSmallIntegerField(
        _("remind this many hours before"),
        default=24,
        help_text=_("Both people get a reminder this long before."),
    )
    late_tolerance_days = models.PositiveSmallIntegerField(
        _("held on time within (days)"),
        default=2,
        help_text=_("A meeting held later than this counts as late."),
    )

    class Meta:
        verbose_name = _("cadence")
        verbose_name_plural = _("cadences")
        constraints = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(rm__isnull=True))
                | (Q(team__isnull=True) & Q(rm__isnull=False)),
                name="cadence_for_team_or_rm",
                violation_error_message=_("A cadence belongs to a team or to one RM."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_day__gte=1) & Q(monthly_day__lte=10), name="cadence_monthly_day_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self.team or self.rm)


class CheckpointStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("In progress")
    HELD = "held", _("Held")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Cancelled")


class Checkpoint(models.Model):
    """One meeting of one kind for one period (e.g. the weekly of 2026-W48) between an RM and their leader.

    (rm, kind, period) is unique: scheduling twice, or twice at once, cannot create a second meeting.
    """

    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("RM"), on_delete=models.CASCADE, related_name="checkpoints"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader"),
        on_delete=models.PROTECT,
        related_name="led_checkpoints",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CheckpointKind.choices)
    period = models.CharField(
        _("period"), max_length=10, help_text=_("2026-W48, 2026-11, 2026-Q4 or 2026-H2.")
    )
    scheduled_at = models.DateTimeField(_("scheduled for"))
    originally_at = models.DateTimeField(_("first scheduled for"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=45)
    status = models.CharField(
        _("status"), max_length=10, choices=CheckpointStatus.choices, default=CheckpointStatus.SCHEDULED
    )
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    held_late = models.BooleanField(_("held late"), default=False)
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why it was cancelled or skipped."))
    prep_notes = models.TextField(_("preparation notes (RM)"), blank=True)
    leader_notes = models.TextField(_("leader's notes"), blank=True)
    rm_notes = models.TextField(_("RM's notes"), blank=True)
    agenda_notes = models.JSONField(_("notes per agenda item"), default=dict, blank=True)
    snapshot = models.JSONField(_("plan versus actual"), default=dict, blank=True)
    snapshot_from = models.DateField(_("snapshot from"), null=True, blank=True)
    snapshot_to = models.DateField(_("snapshot to"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who changed what and when, shown on the checkpoint page; the stored figures and counters left out.
    history = HistoricalRecords(excluded_fields=["snapshot", "snapshot_from", "snapshot_to", "version"])

    class Meta:
        ordering = ["scheduled_at", "pk"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["rm", "kind", "period"], name="checkpoint_one_per_rm_kind_period"
            ),
        ]
        indexes = [
            models.Index(fields=["leader", "scheduled_at"]),
            models.Index(fields=["status", "scheduled_at"]),
            models.Index(fields=["rm", "kind", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.rm} · {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("coaching:checkpoint-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in (CheckpointStatus.HELD, CheckpointStatus.SKIPPED, CheckpointStatus.CANCELLED)

    @property
    def agenda(self) -> list[tuple[str, str]]:
        return AGENDAS[self.kind]


class CheckpointEvent(models.Model):
    """What happened to a checkpoint: rescheduled (from → to), cancelled, skipped, opened, held (late)."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("checkpoint event")
        verbose_name_plural = _("checkpoint events")

    def __str__(self) -> str:
        return f"{self.checkpoint} · {self.action}"


class Problem(models.Model):
    """A problem named in a checkpoint; off-track metrics are proposed, the people confirm or dismiss them."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="problems")
    description = models.TextField(_("problem"))
    metric = models.ForeignKey(Metric, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    proposed = models.BooleanField(_("proposed from the numbers"), default=False)
    confirmed = models.BooleanField(_("confirmed"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "metric"],
                condition=Q(proposed=True),
                name="problem_proposed_once_per_metric",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class Decision(models.Model):
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("decision"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return self.text[:60]


class ActionItem(models.Model):
    """Something to do by a date. Open items carry from one checkpoint to the next until done."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="action_items")
    rm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_in = models.ForeignKey(
        Checkpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="closed_items",
        help_text=_("The checkpoint in which it was marked done."),
    )  # fmt: skip

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [models.Index(fields=["rm", "done_at"])]

    def __str__(self) -> str:
        return self.description


class Surprise(models.Model):
    """Something unplanned (e.g. an urgent request from a senior executive) and how the team will respond."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="surprises")
    description = models.TextField(_("surprise"))
    response = models.TextField(_("planned response"), blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("surprise")
        verbose_name_plural = _("surprises")

    def __str__(self) -> str:
        return self.description[:60]


class Rating(models.IntegerChoices):
    UNSATISFACTORY = 1, _("1 · Unsatisfactory")
    NEEDS_IMPROVEMENT = 2, _("2 · Needs improvement")
    MEETS = 3, _("3 · Meets expectations")
    EXCEEDS = 4, _("4 · Exceeds expectations")
    OUTSTANDING = 5, _("5 · Outstanding")


class SemiannualReview(models.Model):
    """The formal performance review held at a semiannual checkpoint; locked once signed off."""

    checkpoint = models.OneToOneField(Checkpoint, on_delete=models.CASCADE, related_name="review")
    results_rating = models.PositiveSmallIntegerField(
        _("results against targets"), choices=Rating.choices, null=True, blank=True
    )
    results_comment = models.TextField(_("comment on results"), blank=True)
    standards_rating = models.PositiveSmallIntegerField(
        _("activity standards"), choices=Rating.choices, null=True, blank=True
    )
    standards_comment = models.TextField(_("comment on activity"), blank=True)
    skills_rating = models.PositiveSmallIntegerField(
        _("skills and behaviours"), choices=Rating.choices, null=True, blank=True
    )
    skills_comment = models.TextField(_("comment on skills and behaviours"), blank=True)
    development_rating = models.PositiveSmallIntegerField(
        _("development plan"), choices=Rating.choices, null=True, blank=True
    )
    development_comment = models.TextField(_("comment on development"), blank=True)
    overall_comment = models.TextField(_("overall"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged by the RM"), null=True, blank=True)
    rm_comment = models.TextField(_("RM's comment"), blank=True)
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = _("semiannual review")
        verbose_name_plural = _("semiannual reviews")

    def __str__(self) -> str:
        return str(self.checkpoint)

    @property
    def is_locked(self) -> bool:
        return self.signed_off_at is not None


class Notification(models.Model):
    """An in-app notification; `key` makes each one unique (the same reminder is never listed twice)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=120)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_unique_key")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class ReminderKind(models.TextChoices):
    MEETING = "meeting", _("Meeting reminder")
    PREPARATION = "preparation", _("Preparation reminder")
    OVERDUE = "overdue", _("Overdue notice")
    ESCALATION = "escalation", _("Escalation after repeated skips")


class ReminderSent(models.Model):
    """The record that one reminder went to one person for one checkpoint: unique, so it goes once."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("kind"), max_length=12, choices=ReminderKind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "kind", "recipient"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.recipient} · {self.checkpoint}"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's private calendar feed address; resetting the token cuts off every earlier subscription."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
