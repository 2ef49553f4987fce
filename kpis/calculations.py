"""KPI arithmetic as pure functions: no ORM, no clock. Decimal in, Decimal out; None where undefined.

The definitions follow "KPI definitions" in DESIGN.md, one meaning everywhere.
"""

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)


# --- Periods ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A closed date range and its label: a year "2017", a quarter "2017-Q2", a month "2017-05", or all."""

    start: date | None
    end: date | None
    label: str

    @property
    def is_all_time(self) -> bool:
        return self.start is None

    def contains(self, day: date) -> bool:
        return self.is_all_time or self.start <= day <= self.end


ALL_TIME = Period(None, None, "all")
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str | None) -> Period:
    """'2017' → the year, '2017-Q2' → April to June, '2017-05' → May; empty → all time.

    Raises ValueError with a readable message for anything else.
    """
    if not text:
        return ALL_TIME
    text = text.strip()
    if m := _YEAR.match(text):
        year = int(m[1])
        return Period(date(year, 1, 1), date(year, 12, 31), text)
    if m := _QUARTER.match(text):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * quarter - 2
        return Period(date(year, first, 1), month_end(year, first + 2), f"{year}-Q{quarter}")
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return Period(date(year, month, 1), month_end(year, month), text)
    raise ValueError(
        f"“{text}” is not a period: use a year (2017), a quarter (2017-Q2) or a month (2017-05)."
    )


# --- Ratios and funnel ------------------------------------------------------------------------------


def ratio(numerator, denominator) -> Decimal | None:
    """numerator ÷ denominator as a Decimal fraction; None when the denominator is zero or unknown."""
    if numerator is None or not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def rounded(value: Decimal | None, places: int = 4) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def median(values: Sequence) -> Decimal | None:
    """The middle value (mean of the two middle values for an even count); None for no values."""
    ordered = sorted(Decimal(v) for v in values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True)
class Funnel:
    """The raw counts behind the five prospecting KPIs for one owner and period."""

    conversations: int = 0
    appointments: int = 0
    first_appointments: int = 0
    proposals: int = 0
    won: int = 0
    lost: int = 0
    won_revenue: Decimal = ZERO
    cycle_days_total: int = 0  # sum over won deals with an engagement date of (close − engagement) days
    cycle_count: int = 0  # how many won deals have an engagement date
    cycle_days_median: Decimal | None = None

    @property
    def conversation_to_appointment(self) -> Decimal | None:
        """Appointments set ÷ conversations held."""
        return ratio(self.appointments, self.conversations)

    @property
    def first_appointment_to_proposal(self) -> Decimal | None:
        """Proposals made ÷ first appointments held."""
        return ratio(self.proposals, self.first_appointments)

    @property
    def closing_ratio(self) -> Decimal | None:
        """Opportunities won ÷ opportunities closed (won + lost), by close date."""
        return ratio(self.won, self.won + self.lost)

    @property
    def avg_revenue_per_sale(self) -> Decimal | None:
        """Total value of won opportunities ÷ number won."""
        return ratio(self.won_revenue, self.won)

    @property
    def sales_cycle_mean_days(self) -> Decimal | None:
        """Mean days from engagement to close, over won opportunities (those with an engagement date)."""
        return ratio(self.cycle_days_total, self.cycle_count)


def funnel_sum(funnels) -> Funnel:
    """The counts of several owners' funnels added up (a team's from its people's); no median, which does not
    add up."""
    total = Funnel()
    for f in funnels:
        total = Funnel(
            conversations=total.conversations + f.conversations,
            appointments=total.appointments + f.appointments,
            first_appointments=total.first_appointments + f.first_appointments,
            proposals=total.proposals + f.proposals,
            won=total.won + f.won,
            lost=total.lost + f.lost,
            won_revenue=total.won_revenue + f.won_revenue,
            cycle_days_total=total.cycle_days_total + f.cycle_days_total,
            cycle_count=total.cycle_count + f.cycle_count,
        )
    return total


NATIONAL_CONVERSATION_TO_APPOINTMENT = (Decimal("0.04"), Decimal("0.18"))


def band_position(value: Decimal | None, low: Decimal, high: Decimal) -> str | None:
    """'below', 'within' or 'above' a band such as the national 4–18% conversation-to-appointment range."""
    if value is None:
        return None
    if value < low:
        return "below"
    if value > high:
        return "above"
    return "within"


# --- Targets over months ------------------------------------------------------------------------------


def month_shares(weights: Sequence | None) -> list[Decimal]:
    """Each month's share of the year: weight ÷ sum of weights; even (1/12 each) without weights."""
    if not weights:
        return [ONE / 12] * 12
    values = [Decimal(str(w)) for w in weights]
    total = sum(values)
    if len(values) != 12 or total <= 0:
        raise ValueError("twelve weights, not all zero, are needed")
    return [v / total for v in values]


def cumulative_share(shares: Sequence[Decimal], month: int) -> Decimal:
    """Share of the year planned from January to `month` inclusive (month 12 gives exactly 1)."""
    if month >= 12:
        return ONE
    return sum(shares[:month], ZERO)


def flow_plan_to_date(annual: Decimal, shares: Sequence[Decimal], month: int) -> Decimal:
    """A flow's plan to date: the annual target times the share of the year planned up to `month`."""
    return annual * cumulative_share(shares, month)


def balance_plan_at(baseline: Decimal, year_end: Decimal, shares: Sequence[Decimal], month: int) -> Decimal:
    """A balance's planned level at a month end: the path from the baseline to the year-end target,
    moving by each month's share of the change (a straight line with even shares)."""
    return baseline + (year_end - baseline) * cumulative_share(shares, month)


def variance(actual: Decimal | None, plan: Decimal | None) -> Decimal | None:
    """actual − plan."""
    if actual is None or plan is None:
        return None
    return actual - plan


def attainment(actual: Decimal | None, plan: Decimal | None) -> Decimal | None:
    """actual ÷ plan (None when there is no plan or it is zero)."""
    return ratio(actual, plan)


def status(
    actual: Decimal | None,
    plan: Decimal | None,
    *,
    lower_is_better: bool,
    at_risk: Decimal,
    off_track: Decimal,
) -> str:
    """On track, at risk or off track from attainment and the tolerances.

    Performance is actual ÷ plan (plan ÷ actual when lower is better). On track from 1 − at_risk, at
    risk from 1 − off_track, off track below. No plan (missing or zero): "no_plan". No actual counts as 0.
    """
    if plan is None or plan == 0:
        return "no_plan"
    actual = ZERO if actual is None else actual
    # Lower is better: at or under plan is full performance, above it plan ÷ actual.
    performance = (ONE if actual <= plan else plan / actual) if lower_is_better else actual / plan
    if performance >= ONE - at_risk:
        return "on_track"
    if performance >= ONE - off_track:
        return "at_risk"
    return "off_track"


def forecast_accuracy(actual: Decimal | None, forecast: Decimal | None) -> Decimal | None:
    """1 − |actual − forecast| ÷ forecast, floored at 0; None without a (non-zero) forecast."""
    if forecast is None or forecast == 0 or actual is None:
        return None
    return max(ZERO, ONE - abs(Decimal(actual) - Decimal(forecast)) / abs(Decimal(forecast)))


# --- The value calculator -----------------------------------------------------------------------------


def roi(investment: Decimal, cash_flows: Sequence[Decimal]) -> Decimal | None:
    """Return on investment: (total gains − investment) ÷ investment."""
    if not investment:
        return None
    return (sum(cash_flows, ZERO) - investment) / investment


def npv(rate: Decimal, investment: Decimal, cash_flows: Sequence[Decimal]) -> Decimal:
    """Net present value at `rate`: −investment + Σ cash flow of year t ÷ (1 + rate)^t."""
    return -investment + sum((cf / (ONE + rate) ** t for t, cf in enumerate(cash_flows, start=1)), ZERO)


def irr(investment: Decimal, cash_flows: Sequence[Decimal]) -> Decimal | None:
    """Internal rate of return: the rate at which the NPV is zero, by bisection between −99% and 1000%.

    A negative IRR means the gains never recover the investment. None when no rate in that range makes
    the NPV zero.
    """
    if not investment or not cash_flows:
        return None
    low, high = Decimal("-0.99"), Decimal("10")
    f_low, f_high = npv(low, investment, cash_flows), npv(high, investment, cash_flows)
    if f_low * f_high > 0:
        return None
    for _ in range(200):
        mid = (low + high) / 2
        f_mid = npv(mid, investment, cash_flows)
        if abs(f_mid) < Decimal("1e-9") or high - low < Decimal("1e-10"):
            break
        if f_low * f_mid < 0:
            high, f_high = mid, f_mid
        else:
            low, f_low = mid, f_mid
    return mid


def payback_years(investment: Decimal, cash_flows: Sequence[Decimal]) -> Decimal | None:
    """Years until the cumulated gains repay the investment, interpolating within the year it happens.
    None when they never do within the flows given."""
    if investment is None:
        return None
    remaining = Decimal(investment)
    if remaining <= 0:
        return ZERO
    for year, cf in enumerate(cash_flows, start=1):
        cf = Decimal(cf)
        if cf > 0 and cf >= remaining:
            return Decimal(year - 1) + remaining / cf
        remaining -= cf
    return None


# --- Averages against a team standard ---------------------------------------------------------------


def weeks_elapsed(start: date, today: date) -> Decimal:
    """Weeks from `start` to `today`, both days counted, as a fraction (10 days → 10/7); at least one week,
    so that a per-week average in the first days of the year is not inflated by a tiny divisor."""
    days = (today - start).days + 1
    return max(ONE, Decimal(days) / 7)


def months_elapsed(start: date, today: date) -> Decimal:
    """Months from `start` (a first of month) to `today`: whole months before today's month plus the share
    of today's month gone (15 March from 1 January → 2 + 15/31); at least one month."""
    whole = (today.year - start.year) * 12 + today.month - start.month
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    return max(ONE, whole + Decimal(today.day) / days_in_month)


def average_per(count, periods: Decimal) -> Decimal | None:
    """A count spread over elapsed periods (weeks or months): count ÷ periods; None without a count."""
    if count is None or not periods:
        return None
    return Decimal(count) / periods


# --- Dashboards -----------------------------------------------------------------------------------------


def running_totals(values: Sequence[Decimal]) -> list[Decimal]:
    """Each month's figure cumulated from the first: [5, 3, 0, 2] → [5, 8, 8, 10] (a flow's year to date)."""
    totals, total = [], ZERO
    for value in values:
        total += value
        totals.append(total)
    return totals


def default_month(year: int, latest_closed: tuple[int, int]) -> int:
    """The month a dashboard opens on for a year: the latest closed month when it falls in that year,
    December for a year already over, January for a year not yet begun."""
    closed_year, closed_month = latest_closed
    if year == closed_year:
        return closed_month
    return 12 if year < closed_year else 1


def flow_plan_between(
    annual: Decimal, shares: Sequence[Decimal], start: date, end: date, year: int
) -> Decimal:
    """A flow's plan over any date range within `year`: each month's planned share of the annual target,
    prorated by the days of that month inside the range."""
    total = ZERO
    for month in range(1, 13):
        first, last = date(year, month, 1), month_end(year, month)
        overlap_start, overlap_end = max(first, start), min(last, end)
        if overlap_start > overlap_end:
            continue
        days = (overlap_end - overlap_start).days + 1
        total += annual * shares[month - 1] * Decimal(days) / Decimal(last.day)
    return total


def balance_plan_on(baseline: Decimal, year_end: Decimal, shares: Sequence[Decimal], day: date) -> Decimal:
    """A balance's planned level on any day: the month-end path, prorated within the month."""
    before = balance_plan_at(baseline, year_end, shares, day.month - 1) if day.month > 1 else baseline
    after = balance_plan_at(baseline, year_end, shares, day.month)
    return before + (after - before) * Decimal(day.day) / Decimal(month_end(day.year, day.month).day)
