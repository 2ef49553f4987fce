"""The funnel and plan-versus-actual engine on hand-built data, against the real database."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Region, Team, User
from kpis import selectors, services
from kpis.calculations import Period, parse_period
from kpis.models import (
    ActivityKind,
    Metric,
    MetricKind,
    MetricSource,
    MetricUnit,
    PlanActual,
    Scope,
    Stage,
)
from salesplan import bulk
from targeting.models import PlayingField
from tests.factories.accounts import RMFactory
from tests.factories.kpis import (
    ActivityFactory,
    BalanceSnapshotFactory,
    DistributionFactory,
    ForecastFactory,
    MetricFactory,
    OpportunityFactory,
    TargetFactory,
)
from tests.factories.targeting import AccountFactory

pytestmark = pytest.mark.django_db
Q1 = parse_period("2026-Q1")


@pytest.fixture
def q1_activity(org):
    """rm_a1 in Q1 2026: 10 conversations, 3 appointments (2 first), 1 proposal; 2 deals won (1000 in 30
    days, 3000 in 50 days) and 1 lost. Outside Q1: one conversation in April. rm_a1_peer: 5 conversations."""
    rm, peer = org.rm_a1, org.rm_a1_peer
    top = AccountFactory(owner=rm, playing_field=PlayingField.TOP_DOWN)
    bottom = AccountFactory(owner=rm, playing_field=PlayingField.BOTTOM_UP)
    ActivityFactory.create_batch(6, owner=rm, account=top, date=date(2026, 2, 1))
    ActivityFactory.create_batch(4, owner=rm, account=bottom, date=date(2026, 3, 31))
    ActivityFactory(owner=rm, account=top, date=date(2026, 4, 1))
    ActivityFactory(owner=rm, account=top, kind=ActivityKind.APPOINTMENT, is_first_appointment=True)
    ActivityFactory(owner=rm, account=bottom, kind=ActivityKind.APPOINTMENT, is_first_appointment=True)
    ActivityFactory(owner=rm, account=top, kind=ActivityKind.APPOINTMENT)
    ActivityFactory(owner=rm, account=top, kind=ActivityKind.PROPOSAL)
    OpportunityFactory(
        owner=rm,
        account=top,
        stage=Stage.WON,
        engage_date=date(2026, 1, 1),
        close_date=date(2026, 1, 31),
        value=D("1000"),
    )
    OpportunityFactory(
        owner=rm,
        account=top,
        stage=Stage.WON,
        engage_date=date(2026, 1, 10),
        close_date=date(2026, 3, 1),
        value=D("3000"),
    )
    OpportunityFactory(owner=rm, account=bottom, stage=Stage.LOST, close_date=date(2026, 2, 15))
    OpportunityFactory(owner=rm, account=bottom, stage=Stage.WON, close_date=date(2026, 5, 1), value=D("9"))
    OpportunityFactory(owner=rm, account=bottom, stage=Stage.ENGAGING)
    ActivityFactory.create_batch(5, owner=peer, date=date(2026, 1, 5))  # fmt: skip
    return org


def _row(rows, owner_id, pf=None):
    return next(r for r in rows if r.owner.id == owner_id and r.playing_field == pf).funnel


def test_funnel_per_rm_on_hand_counted_figures(q1_activity):
    org = q1_activity
    f = _row(selectors.funnel(scope=Scope.RM, period=Q1, viewer=None), org.rm_a1.pk)
    assert (f.conversations, f.appointments, f.first_appointments, f.proposals) == (10, 3, 2, 1)
    assert (f.won, f.lost, f.won_revenue) == (2, 1, D("4000"))
    assert f.conversation_to_appointment == D("0.3")
    assert f.first_appointment_to_proposal == D("0.5")
    assert f.avg_revenue_per_sale == D("2000")
    assert f.sales_cycle_mean_days == D("40") and f.cycle_days_median == D("40")


def test_funnel_rolls_up_to_team_region_and_bank(q1_activity):
    org = q1_activity
    team = _row(selectors.funnel(scope=Scope.TEAM, period=Q1, viewer=None), org.team_a1.pk)
    assert (team.conversations, team.appointments) == (15, 3)
    assert team.conversation_to_appointment == D("0.2")
    region = _row(selectors.funnel(scope=Scope.REGION, period=Q1, viewer=None), org.region_a.pk)
    bank = _row(selectors.funnel(scope=Scope.BANK, period=Q1, viewer=None), 0)
    assert region.conversations == bank.conversations == 15


def test_funnel_for_an_rm_without_activity_has_no_ratios(q1_activity):
    f = _row(selectors.funnel(scope=Scope.RM, period=Q1, viewer=None), q1_activity.rm_a2.pk)
    assert f.conversations == 0 and f.conversation_to_appointment is None and f.closing_ratio is None


def test_funnel_split_by_playing_field(q1_activity):
    rows = selectors.funnel(scope=Scope.RM, period=Q1, viewer=None, split_playing_field=True)
    top = _row(rows, q1_activity.rm_a1.pk, "top_down")
    bottom = _row(rows, q1_activity.rm_a1.pk, "bottom_up")
    assert (top.conversations, top.appointments, top.won, top.lost) == (6, 2, 2, 0)
    assert (bottom.conversations, bottom.appointments, bottom.won, bottom.lost) == (4, 1, 0, 1)


def test_funnel_respects_visibility(q1_activity):
    rows = selectors.funnel(scope=Scope.RM, period=Q1, viewer=q1_activity.rm_a1)
    assert [r.owner.id for r in rows] == [q1_activity.rm_a1.pk]
    assert selectors.funnel(scope=Scope.BANK, period=Q1, viewer=q1_activity.leader_a1) == []


def test_all_time_counts_everything(q1_activity):
    f = _row(selectors.funnel(scope=Scope.RM, period=parse_period(None), viewer=None), q1_activity.rm_a1.pk)
    assert (f.conversations, f.won) == (11, 3)


def _metric(**kw):
    return MetricFactory(**kw)


def test_balance_actual_is_the_latest_snapshot_not_a_sum(org):
    loans = _metric(code="loans", kind=MetricKind.BALANCE, unit=MetricUnit.MONEY, source=MetricSource.BALANCE)
    a, b = AccountFactory(owner=org.rm_a1), AccountFactory(owner=org.rm_a1)
    for account, jan, feb in ((a, "100", "110"), (b, "200", "210")):
        BalanceSnapshotFactory(account=account, metric=loans, month_end=date(2026, 1, 31), balance=D(jan))
        BalanceSnapshotFactory(account=account, metric=loans, month_end=date(2026, 2, 28), balance=D(feb))
    # baseline 300 → 420 at year end: February's plan is 320
    TargetFactory(user=org.rm_a1, metric=loans, value=D("420"), baseline=D("300"))
    row = next(r for r in selectors.plan_vs_actual(scope=Scope.RM, year=2026, month=2, viewer=None,
                                                    metrics=[loans]) if r.owner.id == org.rm_a1.pk)  # fmt: skip
    assert (row.plan, row.actual, row.variance, row.attainment, row.status) == (
        D("320"),
        D("320"),
        D("0"),
        D("1"),
        "on_track",
    )
    jan = selectors.actuals(metric=loans, scope=Scope.RM, period=parse_period("2026-01"), viewer=None)
    assert jan[org.rm_a1.pk] == D("300")


def test_flow_plan_follows_a_custom_distribution(org):
    conversations = _metric(code="conv", source=MetricSource.CONVERSATIONS)
    seasonal = DistributionFactory(weights=[2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
    TargetFactory(user=org.rm_a1, metric=conversations, value=D("1200"), distribution=seasonal)
    ActivityFactory.create_batch(3, owner=org.rm_a1, date=date(2026, 2, 2))
    rows = selectors.plan_vs_actual(scope=Scope.RM, year=2026, month=2, viewer=None, metrics=[conversations])
    row = next(r for r in rows if r.owner.id == org.rm_a1.pk)
    assert (row.plan, row.actual, row.status) == (D("300"), D("3"), "off_track")
    peer = next(r for r in rows if r.owner.id == org.rm_a1_peer.pk)
    assert (peer.plan, peer.actual, peer.status) == (None, D("0"), "no_plan")


def test_team_and_region_plans_come_from_their_own_targets(org):
    conversations = _metric(code="conv", source=MetricSource.CONVERSATIONS)
    TargetFactory(user=None, team=org.team_a1, metric=conversations, value=D("120"))
    TargetFactory(user=None, region=org.region_a, metric=conversations, value=D("240"))
    ActivityFactory.create_batch(4, owner=org.rm_a1, date=date(2026, 1, 20))
    ActivityFactory.create_batch(6, owner=org.rm_a1_peer, date=date(2026, 1, 20))
    team = selectors.plan_vs_actual(scope=Scope.TEAM, year=2026, month=1, viewer=None, metrics=[conversations],
                                    owner_ids=[org.team_a1.pk])[0]  # fmt: skip
    assert (team.plan, team.actual, team.status) == (D("10"), D("10"), "on_track")
    bank = selectors.plan_vs_actual(
        scope=Scope.BANK, year=2026, month=1, viewer=None, metrics=[conversations]
    )[0]
    assert (bank.plan, bank.actual) == (D("20"), D("10"))


def test_retention_of_high_value_clients(org):
    retention = _metric(code="retention", kind=MetricKind.RATIO, unit=MetricUnit.PERCENT,
                        source=MetricSource.RETENTION)  # fmt: skip
    for _ in range(3):
        AccountFactory(owner=org.rm_a1, is_high_value=True, status="active", client_since=date(2020, 1, 1))
    AccountFactory(
        owner=org.rm_a1,
        is_high_value=True,
        status="former",
        client_since=date(2020, 1, 1),
        client_until=date(2026, 6, 30),
    )
    AccountFactory(owner=org.rm_a1, is_high_value=True, status="active", client_since=date(2026, 3, 1))  # new
    AccountFactory(owner=org.rm_a1, is_high_value=False, status="former", client_since=date(2020, 1, 1),
                   client_until=date(2026, 2, 1))  # fmt: skip
    may = selectors.actuals(metric=retention, scope=Scope.RM, period=parse_period("2026-05"), viewer=None)
    year = selectors.actuals(metric=retention, scope=Scope.RM, period=parse_period("2026"), viewer=None)
    assert may[org.rm_a1.pk] == D("1") and year[org.rm_a1.pk] == D("0.75")


def test_forecast_accuracy_compares_forecast_with_actual(org):
    revenue = _metric(code="won-revenue", unit=MetricUnit.MONEY, source=MetricSource.WON_REVENUE)
    accuracy = _metric(code="accuracy", kind=MetricKind.RATIO, unit=MetricUnit.PERCENT,
                       source=MetricSource.FORECAST_ACCURACY, forecast_metric=revenue)  # fmt: skip
    ForecastFactory(owner=org.rm_a1, metric=revenue, month=date(2026, 1, 1), value=D("1000"))
    OpportunityFactory(owner=org.rm_a1, stage=Stage.WON, close_date=date(2026, 1, 20), value=D("800"))
    result = selectors.actuals(metric=accuracy, scope=Scope.RM, period=parse_period("2026-01"), viewer=None)
    assert result == {org.rm_a1.pk: D("0.8")}


def test_product_mix_share(org):
    from tests.factories.kpis import ProductFactory

    mix = _metric(code="mix-loans", kind=MetricKind.RATIO, unit=MetricUnit.PERCENT,
                  source=MetricSource.PRODUCT_MIX, product_category="Loans")  # fmt: skip
    loan, deposit = ProductFactory(category="Loans"), ProductFactory(category="Deposits")
    OpportunityFactory(
        owner=org.rm_a1, product=loan, stage=Stage.WON, close_date=date(2026, 1, 5), value=D("300")
    )
    OpportunityFactory(owner=org.rm_a1, product=deposit, stage=Stage.WON, close_date=date(2026, 1, 5),
                       value=D("700"))  # fmt: skip
    assert selectors.actuals(metric=mix, scope=Scope.RM, period=parse_period("2026"), viewer=None) == {
        org.rm_a1.pk: D("0.3")
    }


def test_month_end_snapshot_twice_changes_nothing(org):
    conversations = _metric(code="conv", source=MetricSource.CONVERSATIONS)
    TargetFactory(user=org.rm_a1, metric=conversations, value=D("120"))
    ActivityFactory.create_batch(4, owner=org.rm_a1, date=date(2026, 1, 20))
    first = services.plan_actual_store(year=2026, month=1, now=timezone.now())

    def stored():
        return list(
            PlanActual.objects.order_by("pk").values_list("scope", "scope_id", "actual_to_date", "status")
        )

    snapshot = stored()
    second = services.plan_actual_store(year=2026, month=1, now=timezone.now())
    assert first == second == PlanActual.objects.count()
    assert stored() == snapshot
    row = PlanActual.objects.get(scope="rm", scope_id=org.rm_a1.pk, metric=conversations)
    assert (row.plan_to_date, row.actual_to_date, row.status) == (D("10.00"), D("4.00"), "off_track")
    ActivityFactory.create_batch(6, owner=org.rm_a1, date=date(2026, 1, 21))
    services.plan_actual_store(year=2026, month=1, now=timezone.now())
    row = PlanActual.objects.get(
        scope="rm", scope_id=org.rm_a1.pk, metric=conversations
    )  # the month rewritten
    assert (row.actual_to_date, row.status) == (D("10.00"), "on_track")


def test_plan_vs_actual_query_count_does_not_grow(org, django_assert_num_queries):
    conversations = _metric(code="conv", source=MetricSource.CONVERSATIONS)
    wins = _metric(code="wins", source=MetricSource.WINS)
    metrics = [conversations, wins]

    def grow(n):
        for rm in (org.rm_a1, org.rm_a1_peer, org.rm_a2, org.rm_b1):
            TargetFactory(user=rm, metric=conversations, value=D("100"), year=2026 + n)
            ActivityFactory.create_batch(n, owner=rm, date=date(2026, 1, 3))
            OpportunityFactory.create_batch(n, owner=rm, stage=Stage.WON, close_date=date(2026, 1, 9))

    grow(3)
    # owners, targets, one aggregate per source table (activities, won deals)
    with django_assert_num_queries(4):
        selectors.plan_vs_actual(scope=Scope.RM, year=2026, month=1, viewer=None, metrics=metrics)
    grow(12)
    with django_assert_num_queries(4):
        selectors.plan_vs_actual(scope=Scope.RM, year=2026, month=1, viewer=None, metrics=metrics)


def test_team_target_against_the_sum_of_its_rms_targets(org):
    conversations = _metric(code="conv", source=MetricSource.CONVERSATIONS)
    TargetFactory(user=None, team=org.team_a1, metric=conversations, value=D("500"))
    TargetFactory(user=org.rm_a1, metric=conversations, value=D("200"))
    TargetFactory(user=org.rm_a1_peer, metric=conversations, value=D("250"))
    [gap] = selectors.team_target_gaps(team=org.team_a1, year=2026)
    assert (gap["team_target"], gap["rm_total"], gap["gap"]) == (D("500"), D("450"), D("-50"))


def test_a_balance_over_a_week_without_a_month_end_is_the_last_known_level(org):
    loans = _metric(code="loans", kind=MetricKind.BALANCE, unit=MetricUnit.MONEY, source=MetricSource.BALANCE)
    account = AccountFactory(owner=org.rm_a1)
    BalanceSnapshotFactory(account=account, metric=loans, month_end=date(2026, 10, 31), balance=D("500"))
    BalanceSnapshotFactory(account=account, metric=loans, month_end=date(2026, 11, 30), balance=D("900"))
    week = Period(date(2026, 11, 10), date(2026, 11, 16), "week")
    assert selectors.actuals(metric=loans, scope=Scope.RM, period=week, viewer=None) == {
        org.rm_a1.pk: D("500")
    }


def test_month_end_store_rolls_teams_regions_and_bank_up_from_the_people(org, django_assert_num_queries):
    """Every scope's figures match an aggregate written for that scope alone: sums are summed, ratios are
    taken over the sums (never averaged), and a teamless owner counts in the bank only."""
    conversations = _metric(code="conv", source=MetricSource.CONVERSATIONS)
    retention = _metric(
        code="ret", kind=MetricKind.RATIO, unit=MetricUnit.PERCENT, source=MetricSource.RETENTION
    )
    loans = _metric(code="loans", kind=MetricKind.BALANCE, unit=MetricUnit.MONEY, source=MetricSource.BALANCE)
    people = {org.rm_a1: 3, org.rm_a1_peer: 5, org.rm_a2: 7, org.rm_b1: 11, org.leader_a1: 13}
    for person, n in people.items():
        ActivityFactory.create_batch(n, owner=person, kind=ActivityKind.CONVERSATION, date=date(2026, 1, 10))
        kept = AccountFactory(owner=person, is_high_value=True, client_since=date(2020, 1, 1))
        for _ in range(n % 4):  # 3 → 3 lost, 5 → 1, 7 → 3, 11 → 3, 13 → 1
            AccountFactory(owner=person, is_high_value=True, client_since=date(2020, 1, 1),
                           client_until=date(2026, 1, 15))  # fmt: skip
        BalanceSnapshotFactory(account=kept, metric=loans, month_end=date(2026, 1, 31), balance=D(n * 100))
    metrics = [conversations, retention, loans]

    def store():
        services.plan_actual_store(year=2026, month=1, now=timezone.now())
        return {
            (r.scope, r.scope_id, r.metric_id): r.actual_to_date
            for r in PlanActual.objects.filter(metric__in=metrics)
        }

    def expected(scope, scope_id, owners):
        count = sum(people[p] for p in owners)
        lost = sum(people[p] % 4 for p in owners)
        return {
            (scope, scope_id, conversations.pk): D(count),
            (scope, scope_id, retention.pk): round(
                D(len(owners)) / D(len(owners) + lost), 2
            ),  # stored to 2 places
            (scope, scope_id, loans.pk): D(count * 100),
        }

    want = {}
    for rm in (org.rm_a1, org.rm_a1_peer, org.rm_a2, org.rm_b1):
        want |= expected(Scope.RM, rm.pk, [rm])
    want |= expected(Scope.TEAM, org.team_a1.pk, [org.rm_a1, org.rm_a1_peer])
    want |= expected(Scope.TEAM, org.team_a2.pk, [org.rm_a2])
    want |= expected(Scope.TEAM, org.team_b1.pk, [org.rm_b1])
    want |= expected(Scope.REGION, org.region_a.pk, [org.rm_a1, org.rm_a1_peer, org.rm_a2])
    want |= expected(Scope.REGION, org.region_b.pk, [org.rm_b1])
    want |= expected(Scope.BANK, 0, list(people))  # the leader's own conversations count for the bank
    got = store()
    assert {k: v for k, v in got.items() if k in want} == want

    # The queries do not grow with the people: active metrics; targets for each of the four scopes and
    # owners for three (the bank is no query); the team and region of each person; one aggregate per
    # source table for every scope at once (activities; accounts; the latest month end of the balance
    # metric, then its balances); the write inside a savepoint (opened, released): the month's rows
    # deleted, then on PostgreSQL the month's advisory lock taken first and the rows COPYed in (psycopg2's
    # copy is not counted); elsewhere one INSERT … VALUES per batch (SQLite: 999 parameters, 90 rows of 11
    # values).
    def write():
        if connection.vendor == "postgresql":
            return 2 + 2
        owners = (
            User.objects.filter(team__isnull=False).count()
            + Team.objects.count()
            + Region.objects.count()
            + 1
        )
        return 2 + 1 + -(-owners * len(metrics) // (999 // 11))

    def grow(n):
        for team in (org.team_a1, org.team_b1):
            for rm in RMFactory.create_batch(n, team=team):
                ActivityFactory(owner=rm, kind=ActivityKind.CONVERSATION, date=date(2026, 1, 11))

    Metric.objects.exclude(pk__in=[m.pk for m in metrics]).update(is_active=False)
    for n in (2, 12):
        grow(n)
        with django_assert_num_queries(1 + 4 + 3 + 1 + 4 + write()):
            services.plan_actual_store(year=2026, month=1, now=timezone.now())


@pytest.mark.parametrize("copy", [True, False], ids=["copy", "insert-values"])
def test_month_end_store_writes_the_same_rows_by_either_path(org, monkeypatch, copy):
    """PostgreSQL writes through COPY, other databases with INSERT … VALUES: same rows, same upsert."""
    if copy and connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    monkeypatch.setattr(bulk, "copy_available", lambda: copy)
    conversations = _metric(code="conv", source=MetricSource.CONVERSATIONS)
    TargetFactory(user=org.rm_a1, metric=conversations, value=D("120"))
    ActivityFactory.create_batch(4, owner=org.rm_a1, date=date(2026, 1, 20))
    first = services.plan_actual_store(year=2026, month=1, now=timezone.now())
    assert services.plan_actual_store(year=2026, month=1, now=timezone.now()) == first
    assert PlanActual.objects.filter(year=2026, month=1).count() == first
    row = PlanActual.objects.get(scope="rm", scope_id=org.rm_a1.pk, metric=conversations)
    assert (row.plan_to_date, row.actual_to_date, row.variance, row.status) == (
        D("10.00"), D("4.00"), D("-6.00"), "off_track",
    )  # fmt: skip
    bank = PlanActual.objects.get(scope="bank", scope_id=0, metric=conversations)
    assert (bank.plan_to_date, bank.attainment) == (None, None)


@pytest.mark.parametrize("copy", [True, False], ids=["copy", "insert-values"])
def test_month_end_store_rounds_the_figures_and_leaves_no_row_of_an_owner_or_metric_gone(
    org, monkeypatch, copy
):
    """The month's rows are replaced as a whole: a metric switched off (or a person gone) since the last
    run leaves no row of theirs in that month; other months stay. Figures are rounded to the columns' places
    whether the database (COPY) or the code (INSERT … VALUES) rounds them."""
    if copy and connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    monkeypatch.setattr(bulk, "copy_available", lambda: copy)
    conversations = _metric(code="conv", source=MetricSource.CONVERSATIONS)
    wins = _metric(code="wins", source=MetricSource.WINS)
    TargetFactory(user=org.rm_a1, metric=conversations, value=D("40"))  # 40 / 12 = 3.333… to date in January
    TargetFactory(user=org.rm_a1, metric=wins, value=D("30"))
    ActivityFactory.create_batch(1, owner=org.rm_a1, date=date(2026, 1, 20))
    services.plan_actual_store(year=2026, month=1, now=timezone.now())
    services.plan_actual_store(year=2026, month=2, now=timezone.now())
    row = PlanActual.objects.get(scope="rm", scope_id=org.rm_a1.pk, metric=conversations, month=1)
    assert (row.plan_to_date, row.variance, row.attainment) == (D("3.33"), D("-2.33"), D("0.3000"))
    Metric.objects.filter(pk=wins.pk).update(is_active=False)
    services.plan_actual_store(year=2026, month=1, now=timezone.now())
    assert not PlanActual.objects.filter(metric=wins, month=1).exists()
    assert PlanActual.objects.filter(metric=wins, month=2).exists()  # another month: left as it was
