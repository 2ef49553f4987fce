"""Reads of the kpis app: the funnel KPIs and the plan-versus-actual engine.

Every figure is computed by database aggregates grouped by owner (RM, team, region or the whole bank);
Python only combines the few numbers per owner. Pages, exports, the `kpis` command and the month-end task
all call these functions, so a figure means the same thing everywhere. Every selector takes the viewer
(None for system work such as the month-end task) and applies the visibility rule.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Func, IntegerField, Max, Q, QuerySet, Sum
from django.db.models.aggregates import Aggregate
from django.utils.translation import gettext

from accounts.models import Region, Role, Team, User
from accounts.selectors import owned_by_visible, regions_visible_to, teams_visible_to, users_visible_to
from targeting.models import Account

from . import calculations
from .calculations import ZERO, Funnel, Period
from .models import (
    Activity,
    ActivityKind,
    BalanceSnapshot,
    Direction,
    FlowActual,
    Forecast,
    Metric,
    MetricKind,
    MetricSource,
    Opportunity,
    Scope,
    Stage,
    Target,
)

SCOPES = (Scope.RM, Scope.TEAM, Scope.REGION, Scope.BANK)
_KEYS = {Scope.RM: "owner_id", Scope.TEAM: "owner__team_id", Scope.REGION: "owner__team__region_id"}


def key_path(scope: str, prefix: str = "") -> str | None:
    """The field to group by for a scope, from a model whose owner is reached through `prefix`."""
    return None if scope == Scope.BANK else prefix + _KEYS[scope]


def _visible(queryset: QuerySet, viewer: User | None, owner_field: str) -> QuerySet:
    if viewer is None:
        return queryset
    return owned_by_visible(viewer=viewer, queryset=queryset, owner_field=owner_field)


def _grouped(queryset: QuerySet, scope: str, prefix: str = "", **aggregates) -> dict[int, dict]:
    """One query: the aggregates per owner key (a single key 0 for the bank)."""
    key = key_path(scope, prefix)
    if key is None:
        return {0: queryset.aggregate(**aggregates)}
    rows = queryset.order_by().values(key).annotate(**aggregates)
    return {row[key]: row for row in rows if row[key] is not None}


def _in_period(queryset: QuerySet, field_name: str, period: Period) -> QuerySet:
    if period.is_all_time:
        return queryset
    return queryset.filter(**{f"{field_name}__gte": period.start, f"{field_name}__lte": period.end})


class DaysBetween(Func):
    """Whole days from `start` to `end` (two date columns) as an integer, on PostgreSQL and SQLite."""

    output_field = IntegerField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, conn, **extra):
        template = "CAST(julianday(%(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, conn, template=template, arg_joiner=") - julianday(", **extra)


class Median(Aggregate):
    """PostgreSQL's exact median; SQLite has none, so `funnel` computes it from the values there."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = IntegerField()


# --- Owners -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    scope: str
    id: int
    label: str
    team_id: int | None = None


def owners(*, scope: str, viewer: User | None) -> list[Owner]:
    """The owners of a scope the viewer may see, with the labels the KPI tables use: an RM's name, a team's
    name with its leader's, a region's name, or "Bank"."""
    if scope == Scope.BANK:
        return [Owner(Scope.BANK, 0, gettext("Bank"))] if viewer is None or viewer.role == Role.ADMIN else []
    if scope == Scope.RM:
        users = User.objects.filter(team__isnull=False).select_related("team")
        if viewer is not None:
            users = users.filter(pk__in=users_visible_to(viewer=viewer).values("pk"))
        return [Owner(Scope.RM, u.pk, u.display_name, u.team_id) for u in users.order_by("display_name")]
    if scope == Scope.TEAM:
        teams = Team.objects.select_related("leader") if viewer is None else teams_visible_to(viewer=viewer)
        return [
            Owner(Scope.TEAM, t.pk, f"{t.name} ({t.leader.display_name})" if t.leader else t.name, t.pk)
            for t in teams.order_by("name")
        ]
    regions = Region.objects.all() if viewer is None else regions_visible_to(viewer=viewer)
    return [Owner(Scope.REGION, r.pk, r.name) for r in regions.order_by("name")]


# --- The five prospecting KPIs ----------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRow:
    owner: Owner
    period: Period
    funnel: Funnel
    playing_field: str | None = None  # "top_down", "bottom_up", "" (not recorded) when split


def _funnel_counts(scope, period, viewer, split):
    pf = ["account__playing_field"] if split else []
    activities = _visible(_in_period(Activity.objects.all(), "date", period), viewer, "owner")
    closed = _visible(
        _in_period(Opportunity.objects.filter(stage__in=[Stage.WON, Stage.LOST]), "close_date", period),
        viewer, "owner",
    )  # fmt: skip
    won_with_cycle = Q(stage=Stage.WON, engage_date__isnull=False)
    activity_aggs = {
        "conversations": Count("pk", filter=Q(kind=ActivityKind.CONVERSATION)),
        "appointments": Count("pk", filter=Q(kind=ActivityKind.APPOINTMENT)),
        "first_appointments": Count("pk", filter=Q(kind=ActivityKind.APPOINTMENT, is_first_appointment=True)),
        "proposals": Count("pk", filter=Q(kind=ActivityKind.PROPOSAL)),
    }
    deal_aggs = {
        "won": Count("pk", filter=Q(stage=Stage.WON)),
        "lost": Count("pk", filter=Q(stage=Stage.LOST)),
        "won_revenue": Sum("value", filter=Q(stage=Stage.WON)),
        "cycle_days_total": Sum(DaysBetween(F("close_date"), F("engage_date")), filter=won_with_cycle),
        "cycle_count": Count("pk", filter=won_with_cycle),
    }
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        deal_aggs["cycle_days_median"] = Median(
            DaysBetween(F("close_date"), F("engage_date")), filter=won_with_cycle
        )
    key = key_path(scope)
    group = ([key] if key else []) + pf
    if group:
        acts = {
            tuple(r[g] for g in group): r
            for r in activities.order_by().values(*group).annotate(**activity_aggs)
        }
        deals = {
            tuple(r[g] for g in group): r for r in closed.order_by().values(*group).annotate(**deal_aggs)
        }
    else:
        acts, deals = {(): activities.aggregate(**activity_aggs)}, {(): closed.aggregate(**deal_aggs)}
    medians = {}
    if not on_postgres:  # SQLite: the median from the won deals' cycle lengths, grouped here
        values = defaultdict(list)
        rows = closed.filter(won_with_cycle).annotate(days=DaysBetween(F("close_date"), F("engage_date")))
        for row in rows.values_list(*group, "days"):
            values[tuple(row[:-1])].append(row[-1])
        medians = {k: calculations.median(v) for k, v in values.items()}
    return acts, deals, medians, bool(key)


def funnel(
    *, scope: str, period: Period, viewer: User | None, split_playing_field: bool = False
) -> list[FunnelRow]:
    """The five prospecting KPIs per owner of the scope for a period (a fixed number of queries)."""
    acts, deals, medians, keyed = _funnel_counts(scope, period, viewer, split_playing_field)
    fields = [""] if not split_playing_field else ["top_down", "bottom_up", ""]
    rows = []
    for owner in owners(scope=scope, viewer=viewer):
        for pf in fields:
            k = ((owner.id,) if keyed else ()) + ((pf,) if split_playing_field else ())
            a, d = acts.get(k, {}), deals.get(k, {})
            cycle_count = d.get("cycle_count") or 0
            funnel_ = Funnel(
                conversations=a.get("conversations") or 0,
                appointments=a.get("appointments") or 0,
                first_appointments=a.get("first_appointments") or 0,
                proposals=a.get("proposals") or 0,
                won=d.get("won") or 0,
                lost=d.get("lost") or 0,
                won_revenue=d.get("won_revenue") or ZERO,
                cycle_days_total=d.get("cycle_days_total") or 0,
                cycle_count=cycle_count,
                cycle_days_median=(
                    Decimal(str(d["cycle_days_median"]))
                    if d.get("cycle_days_median") is not None
                    else medians.get(k)
                ),
            )
            rows.append(FunnelRow(owner, period, funnel_, pf if split_playing_field else None))
    return rows


# --- Plan versus actual -------------------------------------------------------------------------------


@dataclass
class PlanActualRow:
    owner: Owner
    metric: Metric
    year: int
    month: int
    plan: Decimal | None
    actual: Decimal | None
    variance: Decimal | None = field(init=False)
    attainment: Decimal | None = field(init=False)
    status: str = field(init=False)

    def __post_init__(self):
        self.variance = calculations.variance(self.actual, self.plan)
        self.attainment = calculations.attainment(self.actual, self.plan)
        self.status = calculations.status(
            self.actual,
            self.plan,
            lower_is_better=self.metric.direction == Direction.LOWER,
            at_risk=self.metric.tolerance_at_risk,
            off_track=self.metric.tolerance_off_track,
        )


def _year_to_date(year: int, month: int) -> Period:
    return Period(date(year, 1, 1), calculations.month_end(year, month), f"{year}-{month:02d} YTD")


def actuals(*, metric: Metric, scope: str, period: Period, viewer: User | None) -> dict[int, Decimal]:
    """The metric's actual per owner key over the period (balances: the latest month end in the period)."""
    source = metric.source
    activity_filters = {
        MetricSource.CONVERSATIONS: Q(kind=ActivityKind.CONVERSATION),
        MetricSource.APPOINTMENTS: Q(kind=ActivityKind.APPOINTMENT),
        MetricSource.FIRST_APPOINTMENTS: Q(kind=ActivityKind.APPOINTMENT, is_first_appointment=True),
        MetricSource.PROPOSALS: Q(kind=ActivityKind.PROPOSAL),
    }
    if source in activity_filters:
        qs = _visible(
            _in_period(Activity.objects.filter(activity_filters[source]), "date", period), viewer, "owner"
        )
        return _values(_grouped(qs, scope, n=Count("pk")), "n")
    if source in (MetricSource.WINS, MetricSource.WON_REVENUE):
        qs = _visible(
            _in_period(Opportunity.objects.filter(stage=Stage.WON), "close_date", period), viewer, "owner"
        )
        agg = Count("pk") if source == MetricSource.WINS else Sum("value")
        return _values(_grouped(qs, scope, n=agg), "n")
    if source == MetricSource.NEW_CLIENTS:
        qs = _visible(_in_period(Account.objects.all(), "client_since", period), viewer, "owner")
        return _values(_grouped(qs, scope, n=Count("pk")), "n")
    if source == MetricSource.MANUAL:
        qs = _visible(_in_period(FlowActual.objects.filter(metric=metric), "month", period), viewer, "owner")
        return _values(_grouped(qs, scope, n=Sum("value")), "n")
    if source == MetricSource.BALANCE:
        snapshots = _in_period(BalanceSnapshot.objects.filter(metric=metric), "month_end", period)
        latest = snapshots.aggregate(m=Max("month_end"))["m"]
        if latest is None:
            return {}
        qs = _visible(snapshots.filter(month_end=latest), viewer, "account__owner")
        return _values(_grouped(qs, scope, prefix="account__", n=Sum("balance")), "n")
    if source == MetricSource.RETENTION:
        return _retention(scope=scope, period=period, viewer=viewer)
    if source == MetricSource.PRODUCT_MIX:
        qs = _visible(
            _in_period(Opportunity.objects.filter(stage=Stage.WON), "close_date", period), viewer, "owner"
        )
        rows = _grouped(
            qs,
            scope,
            part=Sum("value", filter=Q(product__category=metric.product_category)),
            whole=Sum("value"),
        )
        return {
            k: v
            for k, r in rows.items()
            if (v := calculations.ratio(r["part"] or ZERO, r["whole"])) is not None
        }
    if source == MetricSource.FORECAST_ACCURACY:
        return _forecast_accuracy(metric=metric, scope=scope, period=period, viewer=viewer)
    raise ValueError(f"unknown source {source}")


def _values(rows: dict[int, dict], name: str) -> dict[int, Decimal]:
    return {k: Decimal(r[name] or 0) for k, r in rows.items()}


def _retention(*, scope, period: Period, viewer) -> dict[int, Decimal]:
    """High-value clients at period start still clients at period end ÷ high-value clients at period start.

    A client at a date: client since on or before it, and not gone by then (client until empty or after).
    The high-value designation is taken as it stands now.
    """
    start, end = period.start, period.end
    at_start = Q(is_high_value=True, client_since__lte=start) & (
        Q(client_until__isnull=True) | Q(client_until__gt=start)
    )
    kept = at_start & (Q(client_until__isnull=True) | Q(client_until__gt=end))
    qs = _visible(Account.objects.filter(at_start), viewer, "owner")
    rows = _grouped(qs, scope, base=Count("pk"), kept=Count("pk", filter=kept))
    return {k: v for k, r in rows.items() if (v := calculations.ratio(r["kept"], r["base"])) is not None}


def _forecast_accuracy(*, metric, scope, period, viewer) -> dict[int, Decimal]:
    """1 − |actual − forecast| ÷ forecast for the forecast metric over the period, per owner."""
    target_metric = metric.forecast_metric
    actual = actuals(metric=target_metric, scope=scope, period=period, viewer=viewer)
    qs = _visible(_in_period(Forecast.objects.filter(metric=target_metric), "month", period), viewer, "owner")
    forecast = _values(_grouped(qs, scope, n=Sum("value")), "n")
    return {
        k: v
        for k, f in forecast.items()
        if (v := calculations.forecast_accuracy(actual.get(k, ZERO), f)) is not None
    }


def _plans(*, metrics: list[Metric], scope: str, year: int, month: int) -> dict[tuple[int, int], Decimal]:
    """Plan to date per (metric id, owner key) from the targets; the bank's plan is its regions' sum."""
    owner_field = {
        Scope.RM: "user_id",
        Scope.TEAM: "team_id",
        Scope.REGION: "region_id",
        Scope.BANK: "region_id",
    }
    targets = (
        Target.objects.filter(metric__in=metrics, year=year)
        .filter(**{f"{owner_field[scope]}__isnull": False})
        .select_related("metric", "distribution")
    )
    plans: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for t in targets:
        shares = calculations.month_shares(t.distribution.weights if t.distribution else None)
        if t.metric.kind == MetricKind.FLOW:
            plan = calculations.flow_plan_to_date(t.value, shares, month)
        elif t.metric.kind == MetricKind.BALANCE:
            plan = calculations.balance_plan_at(t.baseline or ZERO, t.value, shares, month)
        else:
            if scope == Scope.BANK:
                continue  # a ratio has no bank-wide sum
            plan = t.value
        key = 0 if scope == Scope.BANK else getattr(t, owner_field[scope])
        plans[(t.metric_id, key)] += plan
    return dict(plans)


def plan_vs_actual(
    *, scope: str, year: int, month: int, viewer: User | None, metrics: list[Metric] | None = None,
    owner_ids: list[int] | None = None,
) -> list[PlanActualRow]:  # fmt: skip
    """Plan to date, actual to date, variance, attainment and status per owner × metric, year to date at
    the end of `month`. Queries: owners, targets, and one or two aggregates per metric, whatever the size."""
    metrics = (
        list(Metric.objects.filter(is_active=True).select_related("forecast_metric"))
        if metrics is None
        else metrics
    )
    period = _year_to_date(year, month)
    the_owners = [o for o in owners(scope=scope, viewer=viewer) if owner_ids is None or o.id in owner_ids]
    plans = _plans(metrics=metrics, scope=scope, year=year, month=month)
    rows = []
    for metric in metrics:
        actual = actuals(metric=metric, scope=scope, period=period, viewer=viewer)
        for owner in the_owners:
            value = actual.get(owner.id)
            if value is None and metric.kind != MetricKind.RATIO:
                value = ZERO
            rows.append(PlanActualRow(owner, metric, year, month, plans.get((metric.pk, owner.id)), value))
    return rows


def team_target_gaps(*, team: Team, year: int) -> list[dict]:
    """Each metric's team target next to the sum of its RMs' targets, with the gap (RM sum − team target)."""
    team_targets = {
        t.metric_id: t for t in Target.objects.filter(team=team, year=year).select_related("metric")
    }
    rm_sums = {
        r["metric_id"]: r["total"]
        for r in Target.objects.filter(user__team=team, year=year)
        .values("metric_id")
        .annotate(total=Sum("value"))
        .order_by()
    }
    rows = []
    for metric_id, target in sorted(team_targets.items(), key=lambda kv: kv[1].metric.display_order):
        rm_total = rm_sums.get(metric_id)
        gap = None if rm_total is None or target.metric.kind == MetricKind.RATIO else rm_total - target.value
        rows.append({"metric": target.metric, "team_target": target.value, "rm_total": rm_total, "gap": gap})
    return rows


def latest_closed_month(today: date) -> tuple[int, int]:
    """The month whose end most recently passed: the period the month-end task snapshots."""
    if today.month == 1:
        return today.year - 1, 12
    return today.year, today.month - 1
