"""Coaching arithmetic as pure functions: the reverse funnel behind the disconnect detector."""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

WORKING_WEEKS = 46  # a year of selling: 52 weeks less holidays, training and public holidays


@dataclass(frozen=True)
class FunnelRatios:
    """Conversion ratios from history, each a fraction from 0 to 1 (None when unknown)."""

    conversation_to_appointment: Decimal | None
    first_share_of_appointments: Decimal | None  # first appointments ÷ all appointments
    first_appointment_to_proposal: Decimal | None
    closing_ratio: Decimal | None  # wins ÷ closed deals, taken as wins per proposal
    avg_revenue_per_sale: Decimal | None

    @property
    def complete(self) -> bool:
        return all(
            value is not None and value > 0
            for value in (
                self.conversation_to_appointment,
                self.first_share_of_appointments,
                self.first_appointment_to_proposal,
                self.closing_ratio,
            )
        )


@dataclass(frozen=True)
class ActivityNeed:
    """What a goal takes over a year, and per working week."""

    wins: int
    proposals: int
    first_appointments: int
    appointments: int
    conversations: int
    weeks: int = WORKING_WEEKS

    def per_week(self, kind: str) -> Decimal:
        return (Decimal(getattr(self, kind)) / self.weeks).quantize(Decimal("0.1"))


def wins_needed(
    *, new_clients: int | None, won_revenue: Decimal | None, avg_revenue_per_sale: Decimal | None
) -> int:
    """Wins a goal takes: one per new client, or the revenue goal ÷ average revenue per sale; the larger."""
    by_clients = new_clients or 0
    by_revenue = 0
    if won_revenue and avg_revenue_per_sale and avg_revenue_per_sale > 0:
        by_revenue = math.ceil(won_revenue / avg_revenue_per_sale)
    return max(by_clients, by_revenue)


def reverse_funnel(wins: int, ratios: FunnelRatios, weeks: int = WORKING_WEEKS) -> ActivityNeed:
    """Work back from wins to the activity that produces them, rounding each step up:

    proposals = wins ÷ closing ratio; first appointments = proposals ÷ first-appointment-to-proposal;
    appointments = first appointments ÷ share of first among appointments; conversations = appointments ÷
    conversation-to-appointment. Needs complete ratios (raises ValueError otherwise).
    """
    if not ratios.complete:
        raise ValueError("the reverse funnel needs every conversion ratio above zero")
    proposals = math.ceil(Decimal(wins) / ratios.closing_ratio)
    first = math.ceil(Decimal(proposals) / ratios.first_appointment_to_proposal)
    appointments = math.ceil(Decimal(first) / ratios.first_share_of_appointments)
    conversations = math.ceil(Decimal(appointments) / ratios.conversation_to_appointment)
    return ActivityNeed(wins, proposals, first, appointments, conversations, weeks)


def default_due_date(year: int) -> datetime.date:
    """Plans for a year are due by the end of its January."""
    return datetime.date(year, 1, 31)


# --- Checkpoint scheduling --------------------------------------------------------------------------------


def period_key(kind: str, day: datetime.date) -> str:
    """The period a meeting on `day` belongs to: ISO week (2026-W48), month (2026-11), quarter (2026-Q4) or
    half-year (2026-H2). One meeting of each kind per period and RM."""
    if kind == "weekly":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "monthly":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def working_day(year: int, month: int, n: int) -> datetime.date:
    """The n-th working day (Monday to Friday) of a month."""
    day = datetime.date(year, month, 1)
    count = 0
    while True:
        if day.weekday() < 5:
            count += 1
            if count == n:
                return day
        day += datetime.timedelta(days=1)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def meeting_days(
    *, kind: str, today: datetime.date, weekday: int, monthly_day: int, weeks: int = 8
) -> list[datetime.date]:
    """The days meetings of a kind should be scheduled on, from today:

    - weekly: on `weekday` in each of the coming `weeks` weeks (this week's if not passed yet);
    - monthly: the next `monthly_day`-th working day of a month (this month's if not passed yet);
    - quarterly: the (`monthly_day` + 1)-th working day of the next quarter's first month (or this one's);
    - semiannual: the (`monthly_day` + 2)-th working day of the next January or July (or this one's).
    """
    if kind == "weekly":
        monday = today - datetime.timedelta(days=today.weekday())
        days = [monday + datetime.timedelta(weeks=w, days=weekday) for w in range(weeks + 1)]
        return [d for d in days if d >= today][:weeks]
    starts = {"monthly": range(1, 13), "quarterly": (1, 4, 7, 10), "semiannual": (1, 7)}[kind]
    nth = monthly_day + {"monthly": 0, "quarterly": 1, "semiannual": 2}[kind]
    year, month = today.year, today.month
    for _ in range(25):
        if month in starts:
            day = working_day(year, month, nth)
            if day >= today:
                return [day]
        year, month = _next_month(year, month)
    return []


PERIOD_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 91, "semiannual": 182}


def snapshot_period(
    *, kind: str, meeting_day: datetime.date, previous_held: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """The period a checkpoint compares plan with actual over: from the day after the previous held
    checkpoint of the same kind up to the meeting day; the kind's usual length when there was none."""
    if previous_held is not None and previous_held < meeting_day:
        return previous_held + datetime.timedelta(days=1), meeting_day
    return meeting_day - datetime.timedelta(days=PERIOD_DAYS[kind] - 1), meeting_day
