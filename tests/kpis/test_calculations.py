"""KPI arithmetic on hand-worked numbers, without the database."""

from datetime import date
from decimal import Decimal as D

import pytest

from kpis import calculations as calc


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2017", date(2017, 1, 1), date(2017, 12, 31)),
        ("2017-Q2", date(2017, 4, 1), date(2017, 6, 30)),
        ("2016-q4", date(2016, 10, 1), date(2016, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_periods(text, start, end):
    period = calc.parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2017-13", "2017-Q5", "17", "last year"])
def test_bad_period_is_explained(text):
    with pytest.raises(ValueError, match="use a year \\(2017\\), a quarter"):
        calc.parse_period(text)


def test_no_period_is_all_time():
    assert calc.parse_period(None).is_all_time


def test_funnel_ratios_on_hand_worked_counts():
    f = calc.Funnel(conversations=10, appointments=3, first_appointments=2, proposals=1, won=2, lost=1,
                    won_revenue=D("4000"), cycle_days_total=80, cycle_count=2)  # fmt: skip
    assert f.conversation_to_appointment == D("0.3")
    assert f.first_appointment_to_proposal == D("0.5")
    assert calc.rounded(f.closing_ratio) == D("0.6667")
    assert f.avg_revenue_per_sale == D("2000")
    assert f.sales_cycle_mean_days == D("40")


def test_zero_denominators_give_none_not_zero():
    f = calc.Funnel()
    assert f.conversation_to_appointment is None
    assert f.first_appointment_to_proposal is None
    assert f.closing_ratio is None
    assert f.avg_revenue_per_sale is None
    assert f.sales_cycle_mean_days is None


def test_median_of_even_and_odd_counts():
    assert calc.median([30, 50]) == D(40)
    assert calc.median([5, 1, 9]) == D(5)
    assert calc.median([]) is None


@pytest.mark.parametrize(
    ("value", "position"), [(D("0.03"), "below"), (D("0.04"), "within"), (D("0.19"), "above")]
)
def test_national_band(value, position):
    assert calc.band_position(value, *calc.NATIONAL_CONVERSATION_TO_APPOINTMENT) == position


def test_even_spread_and_year_end_exactly_the_target():
    shares = calc.month_shares(None)
    assert calc.flow_plan_to_date(D("1200"), shares, 1) == D("100")
    assert calc.flow_plan_to_date(D("1200"), shares, 12) == D("1200")


def test_custom_distribution_weights_the_months():
    # weights 2,1,...,1,0 sum to 12: January gets 2/12 of 1200 = 200, February 100 more, December nothing
    shares = calc.month_shares([2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
    assert calc.flow_plan_to_date(D("1200"), shares, 1) == D("200")
    assert calc.flow_plan_to_date(D("1200"), shares, 2) == D("300")
    assert calc.flow_plan_to_date(D("1200"), shares, 11) == D("1200")


def test_bad_weights_are_refused():
    with pytest.raises(ValueError):
        calc.month_shares([0] * 12)


def test_balance_plan_is_a_path_from_baseline_to_target():
    shares = calc.month_shares(None)
    # baseline 300, year-end 420: +10 a month
    assert calc.balance_plan_at(D("300"), D("420"), shares, 2) == D("320")
    assert calc.balance_plan_at(D("300"), D("420"), shares, 12) == D("420")


@pytest.mark.parametrize(
    ("actual", "plan", "lower", "expected"),
    [
        (D("96"), D("100"), False, "on_track"),  # 96% ≥ 95%
        (D("94"), D("100"), False, "at_risk"),  # 94% < 95% but ≥ 85%
        (D("84"), D("100"), False, "off_track"),
        (None, D("100"), False, "off_track"),  # nothing done counts as zero
        (D("50"), D("0"), False, "no_plan"),
        (D("50"), None, False, "no_plan"),
        (D("100"), D("100"), True, "on_track"),
        (D("110"), D("100"), True, "at_risk"),  # plan/actual = 0.909
        (D("130"), D("100"), True, "off_track"),  # 0.769
    ],
)
def test_status_from_tolerances(actual, plan, lower, expected):
    assert (
        calc.status(actual, plan, lower_is_better=lower, at_risk=D("0.05"), off_track=D("0.15")) == expected
    )


def test_variance_and_attainment():
    assert calc.variance(D("90"), D("100")) == D("-10")
    assert calc.attainment(D("90"), D("100")) == D("0.9")
    assert calc.attainment(D("90"), D("0")) is None


@pytest.mark.parametrize(
    ("actual", "forecast", "accuracy"),
    [(D("800"), D("1000"), D("0.8")), (D("1200"), D("1000"), D("0.8")), (D("3000"), D("1000"), D("0")),
     (D("5"), D("0"), None)],
)  # fmt: skip
def test_forecast_accuracy_is_floored_at_zero(actual, forecast, accuracy):
    assert calc.forecast_accuracy(actual, forecast) == accuracy


def test_value_calculator_on_a_hand_worked_case():
    # invest 1000, gain 400 a year for 3 years: ROI 20%, payback 2.5 years,
    # IRR r with 400/(1+r) + 400/(1+r)^2 + 400/(1+r)^3 = 1000 → r ≈ 9.70%
    flows = [D("400")] * 3
    assert calc.roi(D("1000"), flows) == D("0.2")
    assert calc.payback_years(D("1000"), flows) == D("2.5")
    assert calc.rounded(calc.irr(D("1000"), flows), 4) == D("0.0970")
    assert abs(calc.npv(calc.irr(D("1000"), flows), D("1000"), flows)) < D("0.0001")


def test_value_calculator_when_it_never_pays_back():
    flows = [D("100"), D("100")]
    assert calc.payback_years(D("1000"), flows) is None
    assert calc.roi(D("1000"), flows) == D("-0.8")
    # a negative IRR is still an IRR: 100/(1+r) + 100/(1+r)^2 = 1000 at r ≈ −62.98%
    assert calc.rounded(calc.irr(D("1000"), flows), 4) == D("-0.6298")
    assert calc.irr(D("1000"), [D("-5")]) is None  # no rate above −99% makes this worth 1000
    assert calc.roi(D("0"), flows) is None


def test_funnel_sum_adds_the_counts_and_takes_the_ratios_over_the_sums():
    a = calc.Funnel(
        conversations=10, appointments=5, won=1, lost=1, won_revenue=D("100"), cycle_days_median=D("9")
    )
    b = calc.Funnel(conversations=30, appointments=3, won=3, lost=0, won_revenue=D("500"), cycle_count=2)
    total = calc.funnel_sum([a, b])
    assert (total.conversations, total.appointments, total.won, total.lost, total.won_revenue) == (
        40, 8, 4, 1, D("600"),
    )  # fmt: skip
    assert total.conversation_to_appointment == D("0.2")  # 8 ÷ 40, not the mean of 0.5 and 0.1
    assert total.cycle_days_median is None  # a median does not add up
    assert calc.funnel_sum([]) == calc.Funnel()
