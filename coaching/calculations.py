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
