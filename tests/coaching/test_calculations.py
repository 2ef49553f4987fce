"""The reverse funnel on hand-worked numbers."""

from decimal import Decimal as D

import pytest

from coaching.calculations import FunnelRatios, reverse_funnel, wins_needed

RATIOS = FunnelRatios(
    conversation_to_appointment=D("0.10"),
    first_share_of_appointments=D("0.75"),
    first_appointment_to_proposal=D("0.5"),
    closing_ratio=D("0.4"),
    avg_revenue_per_sale=D("20000"),
)


def test_reverse_funnel_from_wins_to_weekly_conversations():
    # 12 wins ÷ 0.4 = 30 proposals ÷ 0.5 = 60 first appointments ÷ 0.75 = 80 appointments ÷ 0.10 = 800 conversations
    need = reverse_funnel(12, RATIOS)
    assert (need.proposals, need.first_appointments, need.appointments, need.conversations) == (
        30,
        60,
        80,
        800,
    )
    # over 46 selling weeks: 800/46 = 17.39 → 17.4 conversations a week
    assert need.per_week("conversations") == D("17.4")
    assert need.per_week("proposals") == D("0.7")


def test_each_step_rounds_up():
    # 1 win ÷ 0.4 = 2.5 → 3 proposals ÷ 0.5 = 6 first ÷ 0.75 = 8 appointments ÷ 0.1 = 80 conversations
    need = reverse_funnel(1, RATIOS)
    assert (need.proposals, need.first_appointments, need.appointments, need.conversations) == (3, 6, 8, 80)


def test_wins_needed_takes_the_larger_of_the_two_goals():
    assert wins_needed(new_clients=6, won_revenue=D("300000"), avg_revenue_per_sale=D("20000")) == 15
    assert wins_needed(new_clients=20, won_revenue=D("300000"), avg_revenue_per_sale=D("20000")) == 20
    assert wins_needed(new_clients=None, won_revenue=D("30001"), avg_revenue_per_sale=D("10000")) == 4
    assert wins_needed(new_clients=None, won_revenue=D("5000"), avg_revenue_per_sale=None) == 0


def test_incomplete_ratios_are_refused():
    ratios = FunnelRatios(None, D("0.5"), D("0.5"), D("0.5"), D("1"))
    assert not ratios.complete
    with pytest.raises(ValueError, match="every conversion ratio"):
        reverse_funnel(3, ratios)
