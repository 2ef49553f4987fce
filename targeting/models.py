"""Whom a team sells to and why: segments, accounts, contacts, priority tiers and named-account lists."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region, Team

CURRENCIES = [("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP"), ("CHF", "CHF")]
MONEY = {"max_digits": 18, "decimal_places": 2}


class Industry(models.Model):
    """The managed list of industries that accounts, profiles and contact-level rules refer to."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self) -> str:
        return self.name


class ContactLevel(models.IntegerChoices):
    """How senior a contact is; a lower number is more senior."""

    OWNER = 1, _("Owner / C-suite")
    SENIOR_EXECUTIVE = 2, _("Senior executive")
    MANAGER = 3, _("Manager")
    STAFF = 4, _("Staff")


class Segment(models.Model):
    """A target market segment of a team or a region: its ideal customer profile and value proposition."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, null=True, blank=True, related_name="segments"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="segments",
    )
    # The ideal customer profile; an empty criterion does not restrict.
    industries = models.ManyToManyField(Industry, verbose_name=_("industries"), blank=True, related_name="+")
    revenue_min = models.DecimalField(_("annual revenue from"), null=True, blank=True, **MONEY)
    revenue_max = models.DecimalField(_("annual revenue up to"), null=True, blank=True, **MONEY)
    employees_min = models.PositiveIntegerField(_("employees from"), null=True, blank=True)
    employees_max = models.PositiveIntegerField(_("employees up to"), null=True, blank=True)
    locations = models.CharField(
        _("locations"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated towns or areas, e.g. “Paris, Lyon”. Empty: anywhere."),
    )
    value_proposition = models.TextField(
        _("value proposition"), help_text=_("Written the way the client would use it, in their words.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(region__isnull=True))
                | (Q(team__isnull=True) & Q(region__isnull=False)),
                name="segment_belongs_to_team_or_region",
                violation_error_message=_("A segment belongs either to a team or to a region."),
            ),
            models.CheckConstraint(
                condition=Q(revenue_min__isnull=True)
                | Q(revenue_max__isnull=True)
                | Q(revenue_min__lte=models.F("revenue_max")),
                name="segment_revenue_band_ordered",
                violation_error_message=_("The revenue band's lower bound is above its upper bound."),
            ),
            models.CheckConstraint(
                condition=Q(employees_min__isnull=True)
                | Q(employees_max__isnull=True)
                | Q(employees_min__lte=models.F("employees_max")),
                name="segment_employee_band_ordered",
                violation_error_message=_("The employee band's lower bound is above its upper bound."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("targeting:segment-detail", args=[self.pk])

    @property
    def scope(self):
        return self.team or self.region

    @property
    def location_list(self) -> list[str]:
        return [part.strip() for part in self.locations.split(",") if part.strip()]


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active client")
    FORMER = "former", _("Former client")


class PlayingField(models.TextChoices):
    """How a prospect was chosen (the seed article's top-down against bottom-up prospecting)."""

    TOP_DOWN = "top_down", _("Top-down (researched, aimed at the target level)")
    BOTTOM_UP = "bottom_up", _("Bottom-up (whoever answered)")


class Tier(models.TextChoices):
    A = "A", _("Tier A")
    B = "B", _("Tier B")
    C = "C", _("Tier C")


class Account(models.Model):
    """A client or prospect company, owned by one relationship manager."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    annual_revenue = models.DecimalField(
        _("annual revenue"), null=True, blank=True, validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="EUR")
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=120, blank=True)
    research_notes = models.TextField(
        _("what the company does to exist and prosper"),
        blank=True,
        help_text=_(
            "Your research before the first call: how the company makes money and what it worries about."
        ),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="accounts"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.PROSPECT
    )
    client_since = models.DateField(
        _("client since"),
        null=True,
        blank=True,
        help_text=_("When the company became a client (new-client counts)."),
    )
    client_until = models.DateField(
        _("client until"), null=True, blank=True, help_text=_("When a former client left (retention).")
    )
    products_held = models.PositiveSmallIntegerField(_("products held"), default=0)
    is_high_value = models.BooleanField(_("high-value"), default=False)
    must_keep = models.BooleanField(_("must keep"), default=False)
    must_expand = models.BooleanField(_("must expand"), default=False)
    playing_field = models.CharField(
        _("playing field"), max_length=10, choices=PlayingField.choices, blank=True
    )
    target_level = models.PositiveSmallIntegerField(
        _("target contact level"),
        choices=ContactLevel.choices,
        null=True,
        blank=True,
        help_text=_("The contact level you aim for with this prospect; the contact-level rules suggest one."),
    )
    # Priority tier: the score and tier computed from the team's rules, and an optional manual override.
    tier_score = models.IntegerField(_("priority score"), default=0)
    tier_computed = models.CharField(_("computed tier"), max_length=1, choices=Tier.choices, default=Tier.C)
    tier_override = models.CharField(_("tier override"), max_length=1, choices=Tier.choices, blank=True)
    tier_override_reason = models.CharField(_("reason for the override"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["tier_score", "tier_computed", "updated_at"])

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                Lower("legal_name"),
                name="account_legal_name_unique",
                violation_error_message=_("An account with this legal name already exists."),
            ),
            models.CheckConstraint(
                condition=Q(client_until__isnull=True)
                | Q(client_since__isnull=True)
                | Q(client_until__gte=models.F("client_since")),
                name="account_client_dates_ordered",
                violation_error_message=_("A client cannot leave before becoming a client."),
            ),
            models.CheckConstraint(
                condition=Q(tier_override="") | ~Q(tier_override_reason=""),
                name="account_tier_override_has_reason",
                violation_error_message=_("A tier override needs a reason."),
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["tier_computed"]),
        ]

    def __str__(self) -> str:
        return self.legal_name

    def get_absolute_url(self) -> str:
        return reverse("targeting:account-detail", args=[self.pk])

    @property
    def tier(self) -> str:
        """The tier in force: the override when there is one, else the computed tier."""
        return self.tier_override or self.tier_computed

    @property
    def tier_is_overridden(self) -> bool:
        return bool(self.tier_override)

    @property
    def is_prospect(self) -> bool:
        return self.status == AccountStatus.PROSPECT

    def clean(self) -> None:
        if self.tier_override and not self.tier_override_reason.strip():
            raise ValidationError({"tier_override_reason": _("A tier override needs a reason.")})
        if not self.tier_override:
            self.tier_override_reason = ""


class Contact(models.Model):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=150)
    title = models.CharField(_("title"), max_length=150, blank=True)
    level = models.PositiveSmallIntegerField(_("contact level"), choices=ContactLevel.choices)
    budget_authority = models.BooleanField(_("budget authority"), default=False)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_account",
                violation_error_message=_("This account already has a primary contact."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContactLevelRule(models.Model):
    """The highest appropriate contact level to call, by industry (or any) and company size band.

    The most specific rule wins: an industry rule before an any-industry rule, then the narrowest
    employee band. With no rule, the fallback is owner / C-suite below 250 employees (or size unknown)
    and senior executive from 250 up.
    """

    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: any industry."),
    )
    employees_min = models.PositiveIntegerField(_("employees from"), default=0)
    employees_max = models.PositiveIntegerField(
        _("employees up to"), null=True, blank=True, help_text=_("Empty: no upper bound.")
    )
    level = models.PositiveSmallIntegerField(_("contact level to aim for"), choices=ContactLevel.choices)

    class Meta:
        ordering = ["industry__name", "employees_min"]
        verbose_name = _("contact-level rule")
        verbose_name_plural = _("contact-level rules")
        constraints = [
            models.UniqueConstraint(
                fields=["industry", "employees_min"],
                condition=Q(industry__isnull=False),
                name="contact_level_rule_unique_band",
                violation_error_message=_("A rule for this industry and lower bound already exists."),
            ),
            models.UniqueConstraint(
                fields=["employees_min"],
                condition=Q(industry__isnull=True),
                name="contact_level_rule_unique_band_any_industry",
                violation_error_message=_("A rule for any industry with this lower bound already exists."),
            ),
            models.CheckConstraint(
                condition=Q(employees_max__isnull=True) | Q(employees_min__lte=models.F("employees_max")),
                name="contact_level_rule_band_ordered",
                violation_error_message=_("The employee band's lower bound is above its upper bound."),
            ),
        ]

    def __str__(self) -> str:
        upper = self.employees_max if self.employees_max is not None else "∞"
        return (
            f"{self.industry or _('Any industry')} · {self.employees_min}-{upper}: {self.get_level_display()}"
        )


class TeamTargeting(models.Model):
    """A team's targeting settings, set by its leader: named-account limit and tier thresholds."""

    team = models.OneToOneField(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="targeting"
    )
    named_account_limit = models.PositiveSmallIntegerField(
        _("named-account limit"),
        default=25,
        help_text=_("How many named accounts each RM may keep per year."),
    )
    tier_a_min_score = models.IntegerField(_("tier A from score"), default=60)
    tier_b_min_score = models.IntegerField(_("tier B from score"), default=30)

    class Meta:
        verbose_name = _("team targeting settings")
        verbose_name_plural = _("team targeting settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(tier_a_min_score__gt=models.F("tier_b_min_score")),
                name="team_targeting_tier_thresholds_ordered",
                violation_error_message=_("Tier A must start at a higher score than tier B."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.team)


class CriterionKind(models.TextChoices):
    REVENUE_AT_LEAST = "revenue_at_least", _("Annual revenue at least")
    EMPLOYEES_AT_LEAST = "employees_at_least", _("Employees at least")
    MATCHES_SEGMENT = "matches_segment", _("Matches a target segment's profile")
    HIGH_VALUE = "high_value", _("Designated high-value")
    MUST_KEEP = "must_keep", _("Designated must keep")
    MUST_EXPAND = "must_expand", _("Designated must expand")
    PRODUCTS_AT_LEAST = "products_at_least", _("Products held at least")
    ACTIVE_CLIENT = "active_client", _("Is an active client")


CRITERIA_WITH_THRESHOLD = {
    CriterionKind.REVENUE_AT_LEAST,
    CriterionKind.EMPLOYEES_AT_LEAST,
    CriterionKind.PRODUCTS_AT_LEAST,
}


class PriorityCriterion(models.Model):
    """One of a team's scoring rules: accounts meeting it score `points` towards their tier."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="priority_criteria"
    )
    kind = models.CharField(_("criterion"), max_length=24, choices=CriterionKind.choices)
    threshold = models.DecimalField(_("threshold"), null=True, blank=True, **MONEY)
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For “matches a target segment”: which one; empty means any of the team's segments."),
    )
    points = models.IntegerField(_("points"))

    class Meta:
        ordering = ["team", "-points", "kind"]
        verbose_name = _("priority criterion")
        verbose_name_plural = _("priority criteria")

    def __str__(self) -> str:
        threshold = f" {self.threshold.normalize()}" if self.threshold is not None else ""
        return f"{self.get_kind_display()}{threshold}: {self.points:+d}"

    def clean(self) -> None:
        if self.kind in CRITERIA_WITH_THRESHOLD and self.threshold is None:
            raise ValidationError({"threshold": _("This criterion needs a threshold.")})
        if self.kind not in CRITERIA_WITH_THRESHOLD:
            self.threshold = None
        if self.kind != CriterionKind.MATCHES_SEGMENT:
            self.segment = None


class NamedAccountList(models.Model):
    """An RM's short list of named accounts for a year, to mine deeply rather than widely."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="named_account_lists",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    accounts = models.ManyToManyField(Account, through="NamedAccountEntry", related_name="named_in_lists")

    class Meta:
        ordering = ["-year", "owner__display_name"]
        verbose_name = _("named-account list")
        verbose_name_plural = _("named-account lists")
        constraints = [
            models.UniqueConstraint(fields=["owner", "year"], name="named_list_one_per_owner_year")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("targeting:named-list-detail", args=[self.pk])


class NamedAccountEntry(models.Model):
    named_list = models.ForeignKey(NamedAccountList, on_delete=models.CASCADE, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="named_entries")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account__legal_name"]
        verbose_name = _("named account")
        verbose_name_plural = _("named accounts")
        constraints = [
            models.UniqueConstraint(fields=["named_list", "account"], name="named_entry_unique"),
        ]

    def __str__(self) -> str:
        return str(self.account)
