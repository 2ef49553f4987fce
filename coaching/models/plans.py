"""Annual flight plans: one per RM and year, written section by section, reviewed, approved and reset."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kpis.models import ActivityKind, Metric
from targeting.models import Account, Segment


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")


class SectionKey(models.TextChoices):
    """The written sections of a plan, in the order the plan reads: goals first, then strategies, then measures."""

    GOALS_SELF = "goals_self", _("My goals for myself")
    GOALS_BUSINESS = "goals_business", _("My goals for my business")
    GOALS_PAY = "goals_pay", _("My goals for my pay")
    GOALS_MARKET = "goals_market", _("My goals for my market")
    STRATEGIES = "strategies", _("Strategies")
    MEASURES = "measures", _("How I will know I am on track")
    TERRITORY = "territory", _("Territory plan")
    RESOURCES = "resources", _("Resources I need")


class Plan(models.Model):
    """An RM's annual plan, run as a franchisee's business plan reviewed by the leader (the franchisor)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("RM"), on_delete=models.CASCADE, related_name="plans"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    due_date = models.DateField(
        _("submission due"), help_text=_("The plan is overdue when not submitted by then.")
    )
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    reset_reason = models.TextField(
        _("why this revision"), blank=True, help_text=_("The reason of the last reset.")
    )
    # The goals the activity plan must reach (the disconnect detector works back from them).
    goal_new_clients = models.PositiveIntegerField(_("new clients I will win"), null=True, blank=True)
    goal_won_revenue = models.DecimalField(
        _("revenue I will win"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    segments = models.ManyToManyField(
        Segment, verbose_name=_("segments covered"), blank=True, related_name="+"
    )
    # Grows with each save of the figures above, the activity levels and the mix: a stale save is refused.
    numbers_version = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed what and when, shown on the plan page (salesplan/history.py); counters left out.
    history = HistoricalRecords(excluded_fields=["updated_at", "numbers_version"])

    class Meta:
        ordering = ["-year", "owner__display_name"]
        verbose_name = _("annual plan")
        verbose_name_plural = _("annual plans")
        constraints = [models.UniqueConstraint(fields=["owner", "year"], name="plan_one_per_rm_year")]
        indexes = [models.Index(fields=["year", "status"])]

    def __str__(self) -> str:
        return _("%(owner)s's plan for %(year)s") % {"owner": self.owner, "year": self.year}

    def get_absolute_url(self) -> str:
        return reverse("coaching:plan-detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        """Submitted plans wait for the leader; approved ones change only through a plan reset."""
        return self.status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED)


class PlanSection(models.Model):
    """One written section. `version` grows with each save: a save made from an older version is refused."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(_("section"), max_length=20, choices=SectionKey.choices)
    content = models.TextField(_("content"), blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["updated_at", "version"])

    class Meta:
        ordering = ["plan", "key"]
        verbose_name = _("plan section")
        verbose_name_plural = _("plan sections")
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="plan_section_unique")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_key_display()}"


class PlannedActivity(models.Model):
    """The activity level per week the RM plans, by activity type."""

    class Kind(models.TextChoices):
        CONVERSATION = ActivityKind.CONVERSATION, _("Conversations")
        FIRST_APPOINTMENT = "first_appointment", _("First appointments")
        APPOINTMENT = ActivityKind.APPOINTMENT, _("Appointments (all)")
        PROPOSAL = ActivityKind.PROPOSAL, _("Proposals")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="planned_activities")
    kind = models.CharField(_("activity"), max_length=20, choices=Kind.choices)
    per_week = models.DecimalField(_("per week"), max_digits=6, decimal_places=1)

    class Meta:
        ordering = ["plan", "kind"]
        verbose_name = _("planned activity level")
        verbose_name_plural = _("planned activity levels")
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind"], name="planned_activity_unique"),
            models.CheckConstraint(condition=Q(per_week__gte=0), name="planned_activity_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.per_week}/week"


class PlannedMix(models.Model):
    """The planned share of won value in a product category (the territory plan's product mix)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="planned_mix")
    category = models.CharField(_("product category"), max_length=60)
    share = models.DecimalField(_("share"), max_digits=5, decimal_places=4, help_text=_("e.g. 0.40 for 40%."))

    class Meta:
        ordering = ["plan", "category"]
        verbose_name = _("planned product mix")
        verbose_name_plural = _("planned product mix")
        constraints = [
            models.UniqueConstraint(fields=["plan", "category"], name="planned_mix_unique"),
            models.CheckConstraint(
                condition=Q(share__gte=0) & Q(share__lte=1), name="planned_mix_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.share:.0%}"


class RelationshipPlan(models.Model):
    """The plan for one must-keep or must-expand relationship."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="relationship_plans")
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    objectives = models.TextField(_("objectives"), blank=True)
    resources = models.TextField(_("resources needed"), blank=True)
    expected_results = models.TextField(_("expected results"), blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan", "account__legal_name"]
        verbose_name = _("relationship plan")
        verbose_name_plural = _("relationship plans")
        constraints = [models.UniqueConstraint(fields=["plan", "account"], name="relationship_plan_unique")]

    def __str__(self) -> str:
        return str(self.account)


class RelationshipAction(models.Model):
    relationship = models.ForeignKey(RelationshipPlan, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    due_date = models.DateField(_("due"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("relationship action")
        verbose_name_plural = _("relationship actions")

    def __str__(self) -> str:
        return self.description


class RelationshipResult(models.Model):
    """An expected result of a relationship plan, tied to a metric (e.g. loan balance 2.5M by December)."""

    relationship = models.ForeignKey(RelationshipPlan, on_delete=models.CASCADE, related_name="results")
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    expected_value = models.DecimalField(_("expected value"), max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["relationship", "metric__display_order"]
        verbose_name = _("expected result")
        verbose_name_plural = _("expected results")

    def __str__(self) -> str:
        return f"{self.metric}: {self.expected_value}"


class DevelopmentGoal(models.Model):
    """A skill the RM builds, the actions to build it, and the specific result it serves."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="development_goals")
    skill = models.CharField(_("skill to build"), max_length=200)
    actions = models.TextField(_("actions"), blank=True)
    result_metric = models.ForeignKey(
        Metric,
        verbose_name=_("result it serves"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    result_description = models.CharField(_("how it shows in results"), max_length=300, blank=True)

    class Meta:
        ordering = ["plan", "pk"]
        verbose_name = _("development goal")
        verbose_name_plural = _("development goals")

    def __str__(self) -> str:
        return self.skill

    @property
    def is_tied_to_a_result(self) -> bool:
        return self.result_metric_id is not None or bool(self.result_description.strip())


class PlanComment(models.Model):
    """A reviewer's (or the RM's) comment attached to one section of a plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    section = models.CharField(_("section"), max_length=40)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    revision = models.PositiveSmallIntegerField(_("revision"))
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(_("resolved"), default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("plan comment")
        verbose_name_plural = _("plan comments")

    def __str__(self) -> str:
        return self.body[:60]


class PlanRevision(models.Model):
    """A frozen copy of the whole plan: written at each approval, kept when the plan is reset."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField(_("revision"))
    content = models.JSONField(_("content"))
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Why the plan was reset (empty for the first).")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_unique")]

    def __str__(self) -> str:
        return f"{self.plan} · r{self.number}"


class PlanEvent(models.Model):
    """The plan's workflow log: created, submitted, changes requested, approved, reset."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("plan event")
        verbose_name_plural = _("plan events")

    def __str__(self) -> str:
        return f"{self.plan} · {self.action}"
