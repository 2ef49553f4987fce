"""Reads of the targeting app. Every selector takes the viewing user and applies the visibility rule."""

from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Trim
from django.db.models.lookups import GreaterThanOrEqual

from accounts.models import Region, Role, Team, User
from accounts.selectors import owned_by_changeable, owned_by_visible, teams_visible_to

from . import calculations
from .models import (
    Account,
    Contact,
    ContactLevelRule,
    CriterionKind,
    NamedAccountEntry,
    NamedAccountList,
    PriorityCriterion,
    Segment,
    TeamTargeting,
)

DEFAULT_NAMED_ACCOUNT_LIMIT = TeamTargeting._meta.get_field("named_account_limit").default
DEFAULT_TIER_A = TeamTargeting._meta.get_field("tier_a_min_score").default
DEFAULT_TIER_B = TeamTargeting._meta.get_field("tier_b_min_score").default


# --- Teams the viewer manages -------------------------------------------------------------------------


def teams_managed_by(*, viewer: User) -> QuerySet[Team]:
    """Teams whose targeting the viewer may set: those they lead, their region's (director), all (admin)."""
    if viewer.role == Role.RM:
        return Team.objects.none()
    return teams_visible_to(viewer=viewer)


def team_settings(*, team: Team | None) -> TeamTargeting:
    """A team's targeting settings, or unsaved defaults when its leader has set none."""
    if team is None:
        return TeamTargeting()
    try:
        return team.targeting
    except TeamTargeting.DoesNotExist:
        return TeamTargeting(team=team)


# --- Segments -------------------------------------------------------------------------------------------


def _regions_of(viewer: User) -> QuerySet[Region]:
    role = viewer.role
    if role == Role.ADMIN:
        return Region.objects.all()
    if role == Role.DIRECTOR:
        return Region.objects.filter(director=viewer)
    if role == Role.LEADER:
        return Region.objects.filter(teams__leader=viewer)
    if role == Role.RM:
        return Region.objects.filter(teams=viewer.team_id)
    return Region.objects.none()


def segments_visible_to(*, viewer: User) -> QuerySet[Segment]:
    """Segments of the viewer's teams and of their regions (all for an admin)."""
    segments = Segment.objects.select_related("team", "region").prefetch_related("industries")
    if viewer.role == Role.ADMIN:
        return segments
    return segments.filter(
        Q(team__in=teams_visible_to(viewer=viewer).values("pk"))
        | Q(region__in=_regions_of(viewer).values("pk"))
    )


def segments_changeable_by(*, viewer: User) -> QuerySet[Segment]:
    """Segments the viewer may edit: team segments of teams they manage, region segments of their regions."""
    segments = Segment.objects.select_related("team", "region").prefetch_related("industries")
    role = viewer.role
    if role == Role.ADMIN:
        return segments
    if role == Role.DIRECTOR:
        return segments.filter(Q(team__region__director=viewer) | Q(region__director=viewer))
    if role == Role.LEADER:
        return segments.filter(team__leader=viewer)
    return segments.none()


def segment_q(segment: Segment, prefix: str = "") -> Q:
    """The database form of `calculations.profile_match(...).is_full`: accounts meeting every criterion."""
    q = Q()
    industry_ids = [i.pk for i in segment.industries.all()]
    if industry_ids:
        q &= Q(**{f"{prefix}industry__in": industry_ids})
    if segment.revenue_min is not None:
        q &= Q(**{f"{prefix}annual_revenue__gte": segment.revenue_min})
    if segment.revenue_max is not None:
        q &= Q(**{f"{prefix}annual_revenue__lte": segment.revenue_max})
    if segment.employees_min is not None:
        q &= Q(**{f"{prefix}employees__gte": segment.employees_min})
    if segment.employees_max is not None:
        q &= Q(**{f"{prefix}employees__lte": segment.employees_max})
    if segment.location_list:
        q &= reduce(or_, (Q(**{f"{prefix}location__icontains": loc}) for loc in segment.location_list))
    # A profile without criteria matches every account. An empty Q() would not say so: OR-ed with another
    # segment's condition it vanishes, and Django refuses it as a When() condition.
    return q if q else Q(**{f"{prefix}pk__isnull": False})


def profile_of(segment: Segment) -> calculations.Profile:
    return calculations.Profile(
        industry_ids=frozenset(i.pk for i in segment.industries.all()),
        revenue_min=segment.revenue_min,
        revenue_max=segment.revenue_max,
        employees_min=segment.employees_min,
        employees_max=segment.employees_max,
        locations=tuple(segment.location_list),
    )


def company_of(account: Account) -> calculations.Company:
    return calculations.Company(
        industry_id=account.industry_id,
        revenue=account.annual_revenue,
        employees=account.employees,
        location=account.location,
    )


@dataclass(frozen=True)
class SegmentMatch:
    segment: Segment
    match: calculations.ProfileMatch


def account_segment_matches(*, account: Account, viewer: User) -> list[SegmentMatch]:
    """The viewer's segments whose profile the account meets at least in part, best match first."""
    company = company_of(account)
    matches = [
        SegmentMatch(s, calculations.profile_match(company, profile_of(s)))
        for s in segments_visible_to(viewer=viewer)
    ]
    matches = [m for m in matches if m.match.matched or m.match.criteria == 0]
    return sorted(matches, key=lambda m: (-m.match.share, -len(m.match.matched), m.segment.name))


# --- Accounts -----------------------------------------------------------------------------------------


def _ready_expression():
    has_contact_at_level = Exists(
        Contact.objects.filter(account=OuterRef("pk"), level__lte=OuterRef("target_level"))
    )
    return ExpressionWrapper(
        Q(industry__isnull=False)
        & Q(target_level__isnull=False)
        & ~Q(research_trimmed="")
        & Q(has_target_contact=True),
        output_field=BooleanField(),
    ), has_contact_at_level


def with_readiness(queryset: QuerySet[Account]) -> QuerySet[Account]:
    """Annotate `has_target_contact` and `is_ready` (the research checklist, computed by the database)."""
    ready, has_contact = _ready_expression()
    return queryset.annotate(
        research_trimmed=Trim("research_notes"), has_target_contact=has_contact
    ).annotate(is_ready=ready)


def accounts_visible_to(*, viewer: User) -> QuerySet[Account]:
    """Accounts owned by anyone the viewer may see, with owner, team and industry joined."""
    return owned_by_visible(viewer=viewer, queryset=Account.objects.select_related("owner__team", "industry"))


def accounts_changeable_by(*, viewer: User) -> QuerySet[Account]:
    return owned_by_changeable(
        viewer=viewer, queryset=Account.objects.select_related("owner__team", "industry")
    )


def account_list(*, viewer: User) -> QuerySet[Account]:
    """The account list: visible accounts with readiness and contact counts annotated.

    The contact count is a correlated subquery rather than a join with GROUP BY: the database then
    computes it only for the rows of the page shown, and the paginator's count stays a plain COUNT."""
    contacts = (
        Contact.objects.filter(account=OuterRef("pk")).order_by().values("account").annotate(n=Count("pk"))
    )
    return with_readiness(accounts_visible_to(viewer=viewer)).annotate(
        contact_count=Coalesce(Subquery(contacts.values("n")), 0)
    )


def account_detail(*, viewer: User, pk: int) -> Account | None:
    """One visible account with contacts prefetched and readiness annotated; None when not visible."""
    return (
        with_readiness(accounts_visible_to(viewer=viewer)).prefetch_related("contacts").filter(pk=pk).first()
    )


def account_checklist(account: Account) -> calculations.Checklist:
    return calculations.research_checklist(
        industry_id=account.industry_id,
        target_level=account.target_level,
        contact_levels=[c.level for c in account.contacts.all()],
        research_notes=account.research_notes,
    )


def contact_level_rules() -> list[calculations.LevelRule]:
    return [
        calculations.LevelRule(r.industry_id, r.employees_min, r.employees_max, r.level, r.pk)
        for r in ContactLevelRule.objects.all()
    ]


def suggested_contact_level(account: Account, rules: list[calculations.LevelRule] | None = None):
    """The contact level the rules suggest for this account (see calculations.contact_level_for)."""
    return calculations.contact_level_for(
        account.industry_id, account.employees, contact_level_rules() if rules is None else rules
    )


# --- Priority tiers ---------------------------------------------------------------------------------


def _team_segments(team: Team) -> list[Segment]:
    return list(
        Segment.objects.filter(Q(team=team) | Q(region=team.region_id)).prefetch_related("industries")
    )


def criterion_q(criterion: PriorityCriterion, team_segments: list[Segment]) -> Q:
    """The accounts that meet one priority criterion, as a database condition."""
    kind = criterion.kind
    if kind == CriterionKind.REVENUE_AT_LEAST:
        return Q(annual_revenue__gte=criterion.threshold)
    if kind == CriterionKind.EMPLOYEES_AT_LEAST:
        return Q(employees__gte=criterion.threshold)
    if kind == CriterionKind.PRODUCTS_AT_LEAST:
        return Q(products_held__gte=criterion.threshold)
    if kind == CriterionKind.HIGH_VALUE:
        return Q(is_high_value=True)
    if kind == CriterionKind.MUST_KEEP:
        return Q(must_keep=True)
    if kind == CriterionKind.MUST_EXPAND:
        return Q(must_expand=True)
    if kind == CriterionKind.ACTIVE_CLIENT:
        return Q(status="active")
    if kind == CriterionKind.MATCHES_SEGMENT:
        segments = [s for s in team_segments if criterion.segment_id in (None, s.pk)]
        if not segments:
            return Q(pk__in=[])
        return reduce(or_, (segment_q(s) for s in segments))
    raise ValueError(f"unknown criterion {kind}")


def team_scoring(team: Team) -> tuple[list[PriorityCriterion], list[Segment], TeamTargeting]:
    criteria = list(PriorityCriterion.objects.filter(team=team).select_related("segment"))
    return criteria, _team_segments(team), team_settings(team=team)


def score_expression(criteria: list[PriorityCriterion], segments: list[Segment]):
    """Sum of the points of every criterion an account meets, as one SQL expression."""
    if not criteria:
        return Value(0, output_field=IntegerField())
    terms = [
        Case(
            When(criterion_q(c, segments), then=Value(c.points)),
            default=Value(0),
            output_field=IntegerField(),
        )
        for c in criteria
    ]
    return reduce(lambda a, b: a + b, terms)


def tier_expression(score, settings: TeamTargeting):
    """The tier of a score under a team's thresholds (calculations.tier_for), as one SQL expression."""
    return Case(
        When(GreaterThanOrEqual(score, settings.tier_a_min_score), then=Value("A")),
        When(GreaterThanOrEqual(score, settings.tier_b_min_score), then=Value("B")),
        default=Value("C"),
    )


@dataclass(frozen=True)
class CriterionResult:
    criterion: PriorityCriterion
    met: bool

    @property
    def points(self) -> int:
        return self.criterion.points if self.met else 0


def tier_explanation(*, account: Account) -> list[CriterionResult]:
    """Which of the owner's team's criteria the account meets and what each scored (one query for all)."""
    team = account.owner.team
    if team is None:
        return []
    criteria, segments, _settings = team_scoring(team)
    if not criteria:
        return []
    flags = {
        f"c{c.pk}": Case(
            When(criterion_q(c, segments), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        for c in criteria
    }
    row = Account.objects.filter(pk=account.pk).annotate(**flags).values(*flags.keys()).first()
    return [CriterionResult(c, bool(row[f"c{c.pk}"])) for c in criteria]


# --- Named-account lists ----------------------------------------------------------------------------


def named_lists_visible_to(*, viewer: User) -> QuerySet[NamedAccountList]:
    lists = NamedAccountList.objects.select_related("owner__team__leader").annotate(size=Count("entries"))
    return owned_by_visible(viewer=viewer, queryset=lists)


def named_list_detail(*, viewer: User, pk: int) -> NamedAccountList | None:
    """One visible named-account list with its entries and their accounts prefetched."""
    entries = Prefetch("entries", queryset=NamedAccountEntry.objects.select_related("account__industry"))
    return named_lists_visible_to(viewer=viewer).prefetch_related(entries).filter(pk=pk).first()


def named_account_limit(*, owner: User) -> tuple[int, User | None]:
    """The limit on the owner's named-account list and who sets it (their team leader)."""
    team = owner.team
    settings = team_settings(team=team)
    return settings.named_account_limit, (team.leader if team else None)


# --- Account pages (list rows, contacts, history) --------------------------------------------------


def checklist_from_annotations(account: Account) -> calculations.Checklist:
    """The research checklist of an account from the annotations of `with_readiness` (no query)."""
    return calculations.Checklist(
        industry_chosen=account.industry_id is not None,
        target_level_assigned=account.target_level is not None,
        contact_found=bool(account.has_target_contact),
        research_written=bool(account.research_trimmed),
    )


def contacts_visible_to(*, viewer: User) -> QuerySet[Contact]:
    """Contacts of the accounts the viewer may see, with the account and its owner joined."""
    return owned_by_visible(
        viewer=viewer,
        queryset=Contact.objects.select_related("account__owner__team"),
        owner_field="account__owner",
    )


@dataclass(frozen=True)
class HistoryEntry:
    date: datetime  # aware
    user: User | None
    kind: str  # "+" created, "~" changed, "-" deleted
    reason: str
    changed: tuple[str, ...]  # verbose names of the fields that changed


def account_history(*, account: Account, limit: int = 20) -> list[HistoryEntry]:
    """The account's last changes, newest first: who, when, why and which fields (one query).

    One more record than shown is read so that the oldest shown one can be diffed against its predecessor
    without a query per row (what `record.diff_against(record.prev_record)` would cost).
    """
    records = list(
        account.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    entries = []
    for record, older in zip(records[:limit], [*records[1:], None], strict=False):
        changed: tuple[str, ...] = ()
        if older is not None:
            delta = record.diff_against(older)
            changed = tuple(str(Account._meta.get_field(name).verbose_name) for name in delta.changed_fields)
        entries.append(
            HistoryEntry(
                date=record.history_date,
                user=record.history_user,
                kind=record.history_type,
                reason=record.history_change_reason or "",
                changed=changed,
            )
        )
    return entries


# --- Segment, team-targeting, contact-level and named-list pages -----------------------------------


def segment_match_counts(*, viewer: User, segments) -> dict[int, int]:
    """How many accounts the viewer may see fully match each segment's profile (one aggregate query)."""
    segments = list(segments)
    if not segments:
        return {}
    counts = accounts_visible_to(viewer=viewer).aggregate(
        **{f"s{s.pk}": Count("pk", filter=segment_q(s)) for s in segments}
    )
    return {s.pk: counts[f"s{s.pk}"] for s in segments}


def tier_distribution(*, viewer: User, team: Team) -> dict[str, int]:
    """How many of the team's accounts the viewer may see are in each tier in force (one query)."""

    def in_force(tier: str) -> Q:
        return Q(tier_override=tier) | Q(tier_override="", tier_computed=tier)

    return (
        accounts_visible_to(viewer=viewer)
        .filter(owner__team=team)
        .aggregate(**{tier: Count("pk", filter=in_force(tier)) for tier in ("A", "B", "C")})
    )


def contact_level_rule_list() -> QuerySet[ContactLevelRule]:
    """Every contact-level rule with its industry, any-industry rules first: reference data for everyone."""
    any_industry = ExpressionWrapper(Q(industry__isnull=True), output_field=BooleanField())
    return (
        ContactLevelRule.objects.select_related("industry")
        .annotate(any_industry=any_industry)
        .order_by("-any_industry", "industry__name", "employees_min")
    )


def named_lists_with_limits(*, viewer: User) -> QuerySet[NamedAccountList]:
    """Visible named-account lists with `limit` annotated: the owner's team setting, else the default."""
    return named_lists_visible_to(viewer=viewer).annotate(
        limit=Case(
            When(owner__team__targeting__isnull=True, then=Value(DEFAULT_NAMED_ACCOUNT_LIMIT)),
            default="owner__team__targeting__named_account_limit",
            output_field=IntegerField(),
        )
    )
