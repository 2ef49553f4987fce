"""Targeting arithmetic as pure functions: no ORM, no clock. Inputs are plain values or small dataclasses."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# Contact levels, most senior first (values of targeting.models.ContactLevel).
OWNER, SENIOR_EXECUTIVE, MANAGER, STAFF = 1, 2, 3, 4
FALLBACK_SIZE_THRESHOLD = 250


@dataclass(frozen=True)
class Profile:
    """An ideal customer profile; an empty or None criterion does not restrict."""

    industry_ids: frozenset[int] = frozenset()
    revenue_min: Decimal | None = None
    revenue_max: Decimal | None = None
    employees_min: int | None = None
    employees_max: int | None = None
    locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Company:
    industry_id: int | None
    revenue: Decimal | None
    employees: int | None
    location: str = ""


@dataclass(frozen=True)
class ProfileMatch:
    matched: tuple[str, ...]
    missed: tuple[str, ...]

    @property
    def criteria(self) -> int:
        return len(self.matched) + len(self.missed)

    @property
    def is_full(self) -> bool:
        """Every criterion the profile sets is met (a profile with no criterion matches every company)."""
        return not self.missed

    @property
    def share(self) -> Decimal:
        """Share of the profile's criteria the company meets, from 0 to 1 (1 for a profile with none)."""
        if not self.criteria:
            return Decimal(1)
        return Decimal(len(self.matched)) / Decimal(self.criteria)


def _within(value, low, high) -> bool:
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def profile_match(company: Company, profile: Profile) -> ProfileMatch:
    """Which criteria of an ideal customer profile a company meets: industry, revenue band, employee band,
    location (case-insensitive, the company's location containing one of the profile's). Unknown company
    facts never meet a criterion."""
    matched: list[str] = []
    missed: list[str] = []

    def check(name: str, applies: bool, ok: bool) -> None:
        if applies:
            (matched if ok else missed).append(name)

    check("industry", bool(profile.industry_ids), company.industry_id in profile.industry_ids)
    check(
        "revenue",
        profile.revenue_min is not None or profile.revenue_max is not None,
        _within(company.revenue, profile.revenue_min, profile.revenue_max),
    )
    check(
        "employees",
        profile.employees_min is not None or profile.employees_max is not None,
        _within(company.employees, profile.employees_min, profile.employees_max),
    )
    location = company.location.casefold()
    check("location", bool(profile.locations), any(p.casefold() in location for p in profile.locations if p))
    return ProfileMatch(tuple(matched), tuple(missed))


@dataclass(frozen=True)
class LevelRule:
    industry_id: int | None
    employees_min: int
    employees_max: int | None
    level: int
    rule_id: int | None = None


@dataclass(frozen=True)
class LevelChoice:
    level: int
    rule: LevelRule | None  # None: the documented fallback


def contact_level_for(
    industry_id: int | None, employees: int | None, rules: Iterable[LevelRule]
) -> LevelChoice:
    """The highest appropriate contact level for a company, from the rules.

    A rule applies when its industry is the company's (or it has none) and the company's employee count is
    in its band. The most specific applicable rule wins: an industry rule before an any-industry rule, then
    the narrowest band (an open upper bound counts as the widest), then the highest lower bound.
    Fallback with no applicable rule (or an unknown size): owner / C-suite below 250 employees or when the
    size is unknown, senior executive from 250 up.
    """
    applicable = [
        r
        for r in rules
        if (r.industry_id is None or r.industry_id == industry_id)
        and employees is not None
        and r.employees_min <= employees
        and (r.employees_max is None or employees <= r.employees_max)
    ]
    if applicable:

        def specificity(r: LevelRule):
            width = float("inf") if r.employees_max is None else r.employees_max - r.employees_min
            return (r.industry_id is None, width, -r.employees_min)

        best = min(applicable, key=specificity)
        return LevelChoice(best.level, best)
    if employees is not None and employees >= FALLBACK_SIZE_THRESHOLD:
        return LevelChoice(SENIOR_EXECUTIVE, None)
    return LevelChoice(OWNER, None)


def tier_for(score: int, tier_a_min: int, tier_b_min: int) -> str:
    """Tier A from `tier_a_min` points, B from `tier_b_min`, else C."""
    if score >= tier_a_min:
        return "A"
    if score >= tier_b_min:
        return "B"
    return "C"


@dataclass(frozen=True)
class Checklist:
    """The top-down research checklist of a prospect; ready to call only when all four hold."""

    industry_chosen: bool
    target_level_assigned: bool
    contact_found: bool
    research_written: bool

    @property
    def ready(self) -> bool:
        return (
            self.industry_chosen
            and self.target_level_assigned
            and self.contact_found
            and self.research_written
        )

    @property
    def done(self) -> int:
        return sum(
            (self.industry_chosen, self.target_level_assigned, self.contact_found, self.research_written)
        )


def research_checklist(
    *, industry_id: int | None, target_level: int | None, contact_levels: Iterable[int], research_notes: str
) -> Checklist:
    """Industry chosen, target level assigned, a named contact at the target level or more senior, and
    company research written (not blank)."""
    levels = list(contact_levels)
    return Checklist(
        industry_chosen=industry_id is not None,
        target_level_assigned=target_level is not None,
        contact_found=target_level is not None and any(level <= target_level for level in levels),
        research_written=bool(research_notes.strip()),
    )
