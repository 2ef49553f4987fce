"""The dashboards' pure functions, on hand-worked numbers and without the database."""

from decimal import Decimal as D

import pytest

from kpis.calculations import default_month, running_totals


def test_running_totals_cumulate_a_flow_from_january():
    assert running_totals([D(5), D(3), D(0), D(2)]) == [D(5), D(8), D(8), D(10)]


def test_running_totals_of_nothing_is_nothing():
    assert running_totals([]) == []


@pytest.mark.parametrize(
    ("year", "latest_closed", "month"),
    [
        (2026, (2026, 4), 4),  # the year under way opens on its latest closed month
        (2025, (2026, 4), 12),  # a year already over opens on December
        (2027, (2026, 4), 1),  # a year not begun opens on January
        (2026, (2026, 12), 12),  # in January, last year's December is the latest closed month
    ],
)
def test_default_month_is_the_latest_closed_month_of_the_year(year, latest_closed, month):
    assert default_month(year, latest_closed) == month
