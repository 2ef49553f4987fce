"""The numbers: metric catalogue, targets and their spread over months, team standards, activities,
opportunities, actuals (balance snapshots and flows), forecasts, and stored plan-versus-actual snapshots."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region, Team
from targeting.models import CURRENCIES, MONEY, Account, Contact

RATIO = {"max_digits": 7, "decimal_places": 4}  # fractions such as 0.0500


class MetricKind(models.TextChoices):
    BALANCE = "balance", _("Balance (point-in-time snapshot)")
    FLOW = "flow", _("Flow (sums over the period)")
    RATIO = "ratio", _("Ratio")


class MetricUnit(models.TextChoices):
    MONEY = "money", _("Money")
    COUNT = "count", _("Count")
    PERCENT = "percent", _("Percent")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class MetricSource(models.TextChoices):
    """Where a metric's actual figures come from."""

    CONVERSATIONS = "conversations", _("Activities: conversations held")
    APPOINTMENTS = "appointments", _("Activities: appointments held")
    FIRST_APPOINTMENTS = "first_appointments", _("Activities: first appointments held")
    PROPOSALS = "proposals", _("Activities: proposals made")
    WINS = "wins", _("Opportunities won (by close date)")
    WON_REVENUE = "won_revenue", _("Value of opportunities won (by close date)")
    NEW_CLIENTS = "new_clients", _("Accounts that became clients")
    BALANCE = "balance", _("Balance snapshots")
    RETENTION = "retention", _("Retention of high-value clients")
    FORECAST_ACCURACY = "forecast_accuracy", _("Forecast accuracy")
    PRODUCT_MIX = "product_mix", _("Share of won value in a product category")
    MANUAL = "manual", _("Entered or imported flow actuals")


SOURCE_KINDS = {
    MetricSource.BALANCE: {MetricKind.BALANCE},
    MetricSource.RETENTION: {MetricKind.RATIO},
    MetricSource.FORECAST_ACCURACY: {MetricKind.RATIO},
    MetricSource.PRODUCT_MIX: {MetricKind.RATIO},
}
FLOW_SOURCES = set(MetricSource) - set(SOURCE_KINDS)


class Metric(models.Model):
    """One measure in the catalogue, with its kind, unit, direction and default tolerances.

    Status against plan uses attainment (actual ÷ plan; for lower-is-better metrics plan ÷ actual):
    on track from 1 − at-risk tolerance, at risk from 1 − off-track tolerance, off track below.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=MetricKind.choices)
    unit = models.CharField(_("unit"), max_length=10, choices=MetricUnit.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    source = models.CharField(_("source of actuals"), max_length=24, choices=MetricSource.choices)
    tolerance_at_risk = models.DecimalField(
        _("at-risk tolerance"),
        default=Decimal("0.05"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Attainment shortfall from which the metric is at risk, e.g. 0.05 for 5%."),
        **RATIO,
    )
    tolerance_off_track = models.DecimalField(
        _("off-track tolerance"),
        default=Decimal("0.15"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Attainment shortfall from which the metric is off track, e.g. 0.15 for 15%."),
        **RATIO,
    )
    product_category = models.CharField(
        _("product category"),
        max_length=60,
        blank=True,
        help_text=_("For product-mix metrics: which category."),
    )
    forecast_metric = models.ForeignKey(
        "self",
        verbose_name=_("forecast of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For forecast accuracy: the metric whose monthly forecasts are checked."),
    )
    display_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["display_order", "name"]
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        constraints = [
            models.CheckConstraint(
                condition=Q(tolerance_off_track__gte=models.F("tolerance_at_risk")),
                name="metric_tolerances_ordered",
                violation_error_message=_("The off-track tolerance must be at least the at-risk tolerance."),
            ),
        ]

    def __str__(self) -> str:
        """The name in the reader's language when it is one of the catalogue's (kpis/catalogue.py)."""
        return gettext(self.name)

    def clean(self) -> None:
        allowed = SOURCE_KINDS.get(self.source, {MetricKind.FLOW} if self.source in FLOW_SOURCES else set())
        if self.source and self.kind and self.kind not in allowed:
            raise ValidationError(
                {"source": _("This source gives %(kinds)s figures.") % {"kinds": ", ".join(sorted(allowed))}}
            )
        if self.source == MetricSource.PRODUCT_MIX and not self.product_category:
            raise ValidationError({"product_category": _("A product-mix metric needs a product category.")})
        if self.source == MetricSource.FORECAST_ACCURACY and not self.forecast_metric_id:
            raise ValidationError({"forecast_metric": _("Say which metric's forecasts are checked.")})


class Distribution(models.Model):
    """A named way to spread an annual target over the twelve months (e.g. seasonal), reusable by targets.

    Weights are relative: each month gets its weight ÷ the sum of the twelve.
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    weights = models.JSONField(_("monthly weights"), help_text=_("Twelve numbers, January to December."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        weights = self.weights
        try:
            ok = (
                isinstance(weights, list)
                and len(weights) == 12
                and all(Decimal(str(w)) >= 0 for w in weights)
                and sum(Decimal(str(w)) for w in weights) > 0
            )
        except (ArithmeticError, ValueError, TypeError):
            ok = False
        if not ok:
            raise ValidationError(
                {"weights": _("Give twelve weights, January to December, none negative and not all zero.")}
            )

    @property
    def decimal_weights(self) -> list[Decimal]:
        return [Decimal(str(w)) for w in self.weights]


class Target(models.Model):
    """A target for one owner (an RM, a team or a region), one metric and one year.

    For a flow the value is the year's total, spread over months by the distribution (even when none).
    For a balance the value is the year-end level and `baseline` the level at the start of the year; the
    plan follows a path from one to the other. For a ratio the value is the ratio to hold all year.
    """

    metric = models.ForeignKey(
        Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("RM"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="targets",
    )  # fmt: skip
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, null=True, blank=True, related_name="targets"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
    )
    value = models.DecimalField(_("target"), **MONEY)
    baseline = models.DecimalField(_("baseline"), null=True, blank=True, **MONEY)
    distribution = models.ForeignKey(
        Distribution, verbose_name=_("distribution"), on_delete=models.PROTECT, null=True, blank=True,
        help_text=_("Empty: even over the twelve months."),
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])  # shown on the target's edit page

    class Meta:
        ordering = ["year", "metric__display_order"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True) & Q(region__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False) & Q(region__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=True) & Q(region__isnull=False)),
                name="target_has_one_owner",
                violation_error_message=_("A target belongs to exactly one RM, team or region."),
            ),
            models.UniqueConstraint(
                fields=["user", "metric", "year"], condition=Q(user__isnull=False), name="target_unique_user",
                violation_error_message=_("This RM already has a target for this metric and year."),
            ),
            models.UniqueConstraint(
                fields=["team", "metric", "year"], condition=Q(team__isnull=False), name="target_unique_team",
                violation_error_message=_("This team already has a target for this metric and year."),
            ),
            models.UniqueConstraint(
                fields=["region", "metric", "year"], condition=Q(region__isnull=False),
                name="target_unique_region",
                violation_error_message=_("This region already has a target for this metric and year."),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.owner} · {self.metric} · {self.year}"

    @property
    def owner(self):
        return self.user or self.team or self.region

    def clean(self) -> None:
        if self.metric_id and self.metric.kind == MetricKind.BALANCE and self.baseline is None:
            raise ValidationError(
                {"baseline": _("A balance target needs the balance at the start of the year.")}
            )


class StandardPeriod(models.TextChoices):
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")
    RATIO = "ratio", _("as a share or ratio")


class Standard(models.Model):
    """A team's guidance parameter set by its leader: e.g. 15 conversations per week, 30% loans in the mix."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="standards")
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("standard"), max_digits=12, decimal_places=4)
    period = models.CharField(
        _("per"), max_length=10, choices=StandardPeriod.choices, default=StandardPeriod.WEEK
    )
    tolerance_at_risk = models.DecimalField(
        _("at-risk tolerance"), null=True, blank=True, help_text=_("Empty: the metric's default."), **RATIO
    )
    tolerance_off_track = models.DecimalField(
        _("off-track tolerance"), null=True, blank=True, help_text=_("Empty: the metric's default."), **RATIO
    )

    class Meta:
        ordering = ["team", "metric__display_order"]
        verbose_name = _("guidance parameter")
        verbose_name_plural = _("guidance parameters")
        constraints = [models.UniqueConstraint(fields=["team", "metric"], name="standard_unique_team_metric")]

    def __str__(self) -> str:
        return f"{self.team} · {self.metric}: {self.value.normalize()} {self.get_period_display()}"


class Product(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    category = models.CharField(
        _("category"), max_length=60, help_text=_("e.g. Loans, Deposits, Cash management.")
    )
    list_price = models.DecimalField(_("list price"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class ActivityKind(models.TextChoices):
    CONVERSATION = "conversation", _("Conversation")
    APPOINTMENT = "appointment", _("Appointment")
    PROPOSAL = "proposal", _("Proposal")


class Activity(models.Model):
    """A conversation, appointment (first or follow-up) or proposal, counted on the day it happened."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ActivityKind.choices)
    is_first_appointment = models.BooleanField(
        _("first appointment"),
        default=False,
        help_text=_("For appointments: the first one with this account."),
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="activities"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    date = models.DateField(_("date"))
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # The KPI sums count a team's or region's activities per owner, kind and period: with the
            # first-appointment flag carried in the index, PostgreSQL counts them from the index alone
            # (SQLite builds the same index without it: settings silence models.W040).
            models.Index(
                fields=["owner", "date", "kind"],
                include=["is_first_appointment"],
                name="activity_owner_date_kind",
            ),
            models.Index(fields=["date", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="appointment") | Q(is_first_appointment=False),
                name="activity_first_only_for_appointments",
                violation_error_message=_("Only an appointment can be a first appointment."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.account} · {self.date}"


class Stage(models.TextChoices):
    PROSPECTING = "prospecting", _("Prospecting")
    ENGAGING = "engaging", _("Engaging")
    PROPOSAL = "proposal", _("Proposal")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPEN_STAGES = (Stage.PROSPECTING, Stage.ENGAGING, Stage.PROPOSAL)
CLOSED_STAGES = (Stage.WON, Stage.LOST)


class Opportunity(models.Model):
    """A deal, from prospecting to won or lost. Closed deals count on their close date."""

    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True, unique=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="opportunities"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.PROSPECTING)
    engage_date = models.DateField(_("engagement date"), null=True, blank=True)
    close_date = models.DateField(_("close date"), null=True, blank=True)
    value = models.DecimalField(_("value"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="EUR")
    # The proposal's financial case, in the prospect's terms.
    investment = models.DecimalField(
        _("client's investment"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY
    )
    cash_flows = models.JSONField(
        _("yearly net cash flows"),
        default=list,
        blank=True,
        help_text=_("The client's gains per year, year 1 first."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["owner", "stage", "close_date"]),
            models.Index(fields=["close_date", "stage"]),
            # The deal list's default order: its first page read from the index, not sorted out of every deal.
            models.Index(fields=["updated_at", "id"], name="opportunity_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(stage__in=CLOSED_STAGES) | Q(close_date__isnull=False),
                name="opportunity_closed_has_close_date",
                violation_error_message=_("A won or lost opportunity needs a close date."),
            ),
            models.CheckConstraint(
                condition=Q(engage_date__isnull=True) | Q(close_date__isnull=True)
                | Q(close_date__gte=models.F("engage_date")),
                name="opportunity_close_after_engage",
                violation_error_message=_("The close date cannot be before the engagement date."),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name or f"{self.account} · {self.product or _('opportunity')}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:opportunity-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES


class StageChange(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=12, choices=Stage.choices)
    changed_on = models.DateField(_("on"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["changed_on", "pk"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage} ({self.changed_on})"


class BalanceSnapshot(models.Model):
    """An account's balance for a balance metric (loans, DDA deposits) at a month end."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="balances"
    )
    metric = models.ForeignKey(
        Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"kind": MetricKind.BALANCE},
    )  # fmt: skip
    month_end = models.DateField(_("month end"))
    balance = models.DecimalField(_("balance"), **MONEY)

    class Meta:
        ordering = ["-month_end"]
        verbose_name = _("balance snapshot")
        verbose_name_plural = _("balance snapshots")
        constraints = [
            models.UniqueConstraint(fields=["account", "metric", "month_end"], name="balance_unique_month"),
        ]
        indexes = [models.Index(fields=["metric", "month_end"])]

    def __str__(self) -> str:
        return f"{self.account} · {self.metric} · {self.month_end}"


class FlowActual(models.Model):
    """A monthly flow figure entered or imported for an RM (metrics whose source is manual)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("RM"), on_delete=models.CASCADE, related_name="+"
    )
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    value = models.DecimalField(_("value"), **MONEY)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("flow actual")
        verbose_name_plural = _("flow actuals")
        constraints = [
            models.UniqueConstraint(fields=["owner", "metric", "month"], name="flow_actual_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="flow_actual_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.metric} · {self.month:%Y-%m}"


class Forecast(models.Model):
    """An RM's forecast of a metric for a month."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("RM"), on_delete=models.CASCADE, related_name="+"
    )
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    value = models.DecimalField(_("forecast"), **MONEY)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        constraints = [
            models.UniqueConstraint(fields=["owner", "metric", "month"], name="forecast_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="forecast_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.metric} · {self.month:%Y-%m}"


class Scope(models.TextChoices):
    RM = "rm", _("RM")
    TEAM = "team", _("Team")
    REGION = "region", _("Region")
    BANK = "bank", _("Bank")


class Status(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    NO_PLAN = "no_plan", _("No plan")


class PlanActual(models.Model):
    """A stored plan-versus-actual figure: owner × metric × month (year to date at that month's end).

    Written by the month-end task; writing the same period again replaces the figures (one row per key).
    """

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    scope_id = models.PositiveBigIntegerField(_("owner id"), help_text=_("0 for the bank."))
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    plan_to_date = models.DecimalField(_("plan to date"), null=True, blank=True, **MONEY)
    actual_to_date = models.DecimalField(_("actual to date"), null=True, blank=True, **MONEY)
    variance = models.DecimalField(_("variance"), null=True, blank=True, **MONEY)
    attainment = models.DecimalField(_("attainment"), null=True, blank=True, max_digits=12, decimal_places=4)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["year", "month", "scope", "scope_id"]
        verbose_name = _("plan-versus-actual snapshot")
        verbose_name_plural = _("plan-versus-actual snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "scope_id", "metric", "year", "month"], name="plan_actual_unique_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.scope_id} · {self.metric} · {self.year}-{self.month:02d}"


class ImportKind(models.TextChoices):
    ACTIVITIES = "activities", _("Activities")
    BALANCES = "balances", _("Balances")
    OPPORTUNITIES = "opportunities", _("Opportunities")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Not imported")


class ImportJob(models.Model):
    """A CSV import started in the browser and run by a Celery worker: the uploaded file(s), the progress
    (rows checked out of the file's rows) and, once finished, the counts or the report of problems."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    file_name = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(
        _("file content"), default=b"", blank=True, help_text=_("Emptied once the import has finished.")
    )
    teams_file_name = models.CharField(_("teams file"), max_length=255, blank=True)
    teams_content = models.BinaryField(_("teams file content"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name} · {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:import-status", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        """Rows checked as a whole percentage of the file's rows (0 before the file is read)."""
        if self.is_finished:
            return 100
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
