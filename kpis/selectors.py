"""Reads of the kpis app: the funnel KPIs and the plan-versus-actual engine.

Every figure is computed by database aggregates grouped by owner (RM, team, region or the whole bank);
Python only combines the few numbers per owner. Pages, exports, the `kpis` command and the month-end task
all call these functions, so a figure means the same thing everywhere. Every selector takes the viewer
(None for system work such as the month-end task) and applies the visibility rule.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Func, IntegerField, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.aggregates import Aggregate
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from accounts.models import Region, Role, Team, User
from accounts.selectors import (
    owned_by_visible,
    regions_visible_to,
    teams_visible_to,
    users_changeable_by,
    users_visible_to,
)
from targeting.models import Account

from . import calculations
from .calculations import ZERO, Funnel, Period
from .models import (
    OPEN_STAGES,
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
    StageChange,
    Standard,
    StandardPeriod,
    Target,
)

SCOPES = (Scope.RM, Scope.TEAM, Scope.REGION, Scope.BANK)
_KEYS = {Scope.RM: "owner_id", Scope.TEAM: "owner__team_id", Scope.REGION: "owner__team__region_id"}


def key_path(scope: str, prefix: str = "") -> str | None:
    """The field to group by for a scope, from a model whose owner is reached through `prefix`."""
    return None if scope == Scope.BANK else prefix + _KEYS[scope]


def _owned_by(scope: str, ids: Collection[int], prefix: str = "") -> Q:
    """Rows owned by the people of these owners of a scope, as `owner_id IN (…)` so that the database
    reads them through the (owner, date) indexes instead of joining every row to its owner."""
    if scope == Scope.RM:
        return Q(**{f"{prefix}owner_id__in": ids})
    people = User.objects.filter(**{"team_id__in" if scope == Scope.TEAM else "team__region_id__in": ids})
    return Q(**{f"{prefix}owner_id__in": people.values("pk")})


def _visible(queryset: QuerySet, viewer: User | None, owner_field: str) -> QuerySet:
    if viewer is None:
        return queryset
    return owned_by_visible(viewer=viewer, queryset=queryset, owner_field=owner_field)


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
    region_id: int | None = None


# Where the owners of a scope (rows) sit within owners of the same or a wider scope (keys of `within`).
_WITHIN = {
    Scope.RM: {Scope.RM: "pk", Scope.TEAM: "team_id", Scope.REGION: "team__region_id"},
    Scope.TEAM: {Scope.TEAM: "pk", Scope.REGION: "region_id"},
    Scope.REGION: {Scope.REGION: "pk"},
}


def owners(*, scope: str, viewer: User | None, within=None) -> list[Owner]:
    """The owners of a scope the viewer may see, with the labels the KPI tables use: an RM's name, a team's
    name with its leader's, a region's name, or "Bank". `within` = (scope, ids) keeps those owners, or the
    RMs of those teams, the teams of those regions..."""
    if scope == Scope.BANK:
        return [Owner(Scope.BANK, 0, gettext("Bank"))] if viewer is None or viewer.role == Role.ADMIN else []

    def kept(queryset: QuerySet) -> QuerySet:
        if within is None or within[0] == Scope.BANK:
            return queryset
        return queryset.filter(**{f"{_WITHIN[scope][within[0]]}__in": within[1]})

    if scope == Scope.RM:
        users = User.objects.filter(team__isnull=False)
        if viewer is not None:
            users = users.filter(pk__in=users_visible_to(viewer=viewer).values("pk"))
        users = kept(users)
        return [
            Owner(Scope.RM, *values)
            for values in users.order_by("display_name").values_list(
                "pk", "display_name", "team_id", "team__region_id"
            )
        ]
    if scope == Scope.TEAM:
        teams = kept(
            Team.objects.select_related("leader") if viewer is None else teams_visible_to(viewer=viewer)
        )
        return [
            Owner(
                Scope.TEAM,
                t.pk,
                f"{t.name} ({t.leader.display_name})" if t.leader else t.name,
                t.pk,
                t.region_id,
            )
            for t in teams.order_by("name")
        ]
    regions = kept(Region.objects.all() if viewer is None else regions_visible_to(viewer=viewer))
    return [Owner(Scope.REGION, r.pk, r.name, region_id=r.pk) for r in regions.order_by("name")]


# --- The five prospecting KPIs ----------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRow:
    owner: Owner
    period: Period
    funnel: Funnel
    playing_field: str | None = None  # "top_down", "bottom_up", "" (not recorded) when split


def _funnel_counts(scope, period, viewer, split, owner_ids=None, median=True):
    pf = ["account__playing_field"] if split else []
    activities = _visible(_in_period(Activity.objects.all(), "date", period), viewer, "owner")
    closed = _visible(
        _in_period(Opportunity.objects.filter(stage__in=[Stage.WON, Stage.LOST]), "close_date", period),
        viewer, "owner",
    )  # fmt: skip
    key = key_path(scope)
    if owner_ids is not None and key:  # only these owners' rows
        activities = activities.filter(_owned_by(scope, owner_ids))
        closed = closed.filter(_owned_by(scope, owner_ids))
    won_with_cycle = Q(stage=Stage.WON, engage_date__isnull=False)
    activity_aggs = {  # COUNT(kind): from the index alone, as in `_owner_parts`
        "conversations": Count("kind", filter=Q(kind=ActivityKind.CONVERSATION)),
        "appointments": Count("kind", filter=Q(kind=ActivityKind.APPOINTMENT)),
        "first_appointments": Count(
            "kind", filter=Q(kind=ActivityKind.APPOINTMENT, is_first_appointment=True)
        ),
        "proposals": Count("kind", filter=Q(kind=ActivityKind.PROPOSAL)),
    }
    deal_aggs = {
        "won": Count("pk", filter=Q(stage=Stage.WON)),
        "lost": Count("pk", filter=Q(stage=Stage.LOST)),
        "won_revenue": Sum("value", filter=Q(stage=Stage.WON)),
        "cycle_days_total": Sum(DaysBetween(F("close_date"), F("engage_date")), filter=won_with_cycle),
        "cycle_count": Count("pk", filter=won_with_cycle),
    }
    on_postgres = connection.vendor == "postgresql"
    if on_postgres and median:
        deal_aggs["cycle_days_median"] = Median(
            DaysBetween(F("close_date"), F("engage_date")), filter=won_with_cycle
        )
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
    if median and not on_postgres:  # SQLite: the median from the won deals' cycle lengths, grouped here
        values = defaultdict(list)
        rows = closed.filter(won_with_cycle).annotate(days=DaysBetween(F("close_date"), F("engage_date")))
        for row in rows.values_list(*group, "days"):
            values[tuple(row[:-1])].append(row[-1])
        medians = {k: calculations.median(v) for k, v in values.items()}
    return acts, deals, medians, bool(key)


def funnel(
    *, scope: str, period: Period, viewer: User | None, split_playing_field: bool = False,
    owner_ids: Collection[int] | None = None, median: bool = True, of: list[Owner] | None = None,
) -> list[FunnelRow]:  # fmt: skip
    """The five prospecting KPIs per owner of the scope for a period (a fixed number of queries); with
    `owner_ids`, only those owners (RMs, teams or regions) are read and returned, and with `of` (some of
    `owners(...)`, e.g. a page of them) only those, without reading the owners again; without `median`, the
    sales cycle's median is left out (the rest adds up across owners: see calculations.funnel_sum)."""
    if of is not None:
        owner_ids = [o.id for o in of]
    if owner_ids is not None:
        owner_ids = set(owner_ids)
    acts, deals, medians, keyed = _funnel_counts(
        scope, period, viewer, split_playing_field, owner_ids, median
    )
    fields = [""] if not split_playing_field else ["top_down", "bottom_up", ""]
    rows = []
    within = (scope, owner_ids) if owner_ids is not None and keyed else None
    for owner in of if of is not None else owners(scope=scope, viewer=viewer, within=within):
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


_ACTIVITY_FILTERS = {
    MetricSource.CONVERSATIONS: Q(kind=ActivityKind.CONVERSATION),
    MetricSource.APPOINTMENTS: Q(kind=ActivityKind.APPOINTMENT),
    MetricSource.FIRST_APPOINTMENTS: Q(kind=ActivityKind.APPOINTMENT, is_first_appointment=True),
    MetricSource.PROPOSALS: Q(kind=ActivityKind.PROPOSAL),
}
_ACTIVITY_KINDS = {
    MetricSource.CONVERSATIONS: ActivityKind.CONVERSATION,
    MetricSource.APPOINTMENTS: ActivityKind.APPOINTMENT,
    MetricSource.FIRST_APPOINTMENTS: ActivityKind.APPOINTMENT,
    MetricSource.PROPOSALS: ActivityKind.PROPOSAL,
}
_WON_SOURCES = (MetricSource.WINS, MetricSource.WON_REVENUE, MetricSource.PRODUCT_MIX)

Parts = dict[str, Decimal | int | None]


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def _by_owner(queryset: QuerySet, prefix: str, within, group: tuple[str, ...] = (), **aggregates) -> list:
    """One aggregate query grouped by the owner (reached through `prefix`) and `group`; `within` (a scope
    and ids) keeps the rows of those owners only."""
    if within is not None and within[0] != Scope.BANK:
        queryset = queryset.filter(_owned_by(within[0], within[1], prefix))
    return list(queryset.order_by().values(f"{prefix}owner_id", *group).annotate(**aggregates))


def _owner_parts(
    metrics: list[Metric], period: Period, viewer: User | None, within
) -> dict[int, dict[int, Parts]]:
    """Per metric id and owner id (every owner, in a team or not), the additive parts its value is
    computed from: a count or sum `n`; `part`/`whole` for a product mix; `base`/`kept` for retention;
    `forecast` for forecast accuracy (whose actual is its forecast metric's). One aggregate query per
    source table, whatever the number of metrics or owners."""
    out: dict[int, dict[int, Parts]] = {m.pk: defaultdict(dict) for m in metrics}
    by_source = defaultdict(list)
    for m in metrics:
        by_source[m.source].append(m)

    def put(metric_id: int, owner_id: int, name: str, value) -> None:
        if owner_id is not None:
            out[metric_id][owner_id][name] = value

    activity = [m for m in metrics if m.source in _ACTIVITY_FILTERS]
    if activity:
        kinds = {_ACTIVITY_KINDS[m.source] for m in activity}
        qs = (
            Activity.objects.all()
            if kinds == set(ActivityKind.values)
            else Activity.objects.filter(kind__in=kinds)
        )
        qs = _visible(_in_period(qs, "date", period), viewer, "owner")
        # COUNT(kind), not COUNT(id) (Django refuses COUNT(*) with a filter): every column read is then in
        # the (owner, date, kind) index, so PostgreSQL counts from the index alone (a region's year at bank
        # scale: 40 ms → 16 ms). `kind` is never empty, so the counts are the same.
        aggs = {f"m{m.pk}": Count("kind", filter=_ACTIVITY_FILTERS[m.source]) for m in activity}
        for row in _by_owner(qs, "", within, **aggs):
            for m in activity:
                put(m.pk, row["owner_id"], "n", row[f"m{m.pk}"])

    won = [m for m in metrics if m.source in _WON_SOURCES]
    if won:
        qs = _visible(
            _in_period(Opportunity.objects.filter(stage=Stage.WON), "close_date", period), viewer, "owner"
        )
        aggs = {"wins": Count("pk"), "whole": Sum("value")}
        for m in by_source[MetricSource.PRODUCT_MIX]:
            aggs[f"m{m.pk}"] = Sum("value", filter=Q(product__category=m.product_category))
        for row in _by_owner(qs, "", within, **aggs):
            for m in won:
                if m.source == MetricSource.WINS:
                    put(m.pk, row["owner_id"], "n", row["wins"])
                elif m.source == MetricSource.WON_REVENUE:
                    put(m.pk, row["owner_id"], "n", row["whole"])
                else:
                    put(m.pk, row["owner_id"], "part", row[f"m{m.pk}"])
                    put(m.pk, row["owner_id"], "whole", row["whole"])

    new_clients, retention = by_source[MetricSource.NEW_CLIENTS], by_source[MetricSource.RETENTION]
    if new_clients or retention:
        # Retention: high-value clients at period start still clients at period end ÷ those at start. A
        # client at a date: client since on or before it, and not gone by then (client until empty or
        # after). The high-value designation is taken as it stands now.
        new = Q() if period.is_all_time else Q(client_since__gte=period.start, client_since__lte=period.end)
        aggs = {"new": Count("pk", filter=new) if new else Count("pk")}
        if retention:
            at_start = Q(is_high_value=True, client_since__lte=period.start) & (
                Q(client_until__isnull=True) | Q(client_until__gt=period.start)
            )
            kept = at_start & (Q(client_until__isnull=True) | Q(client_until__gt=period.end))
            aggs |= {"base": Count("pk", filter=at_start), "kept": Count("pk", filter=kept)}
        qs = _visible(Account.objects.all(), viewer, "owner")
        for row in _by_owner(qs, "", within, **aggs):
            for m in new_clients:
                if row["new"]:
                    put(m.pk, row["owner_id"], "n", row["new"])
            for m in retention:
                if row["base"]:
                    put(m.pk, row["owner_id"], "base", row["base"])
                    put(m.pk, row["owner_id"], "kept", row["kept"])

    manual = by_source[MetricSource.MANUAL]
    if manual:
        qs = _visible(
            _in_period(FlowActual.objects.filter(metric__in=manual), "month", period), viewer, "owner"
        )
        for row in _by_owner(qs, "", within, ("metric_id",), n=Sum("value")):
            put(row["metric_id"], row["owner_id"], "n", row["n"])

    balances = by_source[MetricSource.BALANCE]
    if balances:
        # The balance as known at the end of the period: the latest month end up to it. For a year or month
        # this is the latest snapshot in the period; a week-long period usually holds no month end, and
        # then the previous one stands (a balance is a level, never a sum). One indexed MAX per metric.
        latest = Q(pk__in=[])
        for m in balances:
            snapshots = BalanceSnapshot.objects.filter(metric=m)
            if not period.is_all_time:
                snapshots = snapshots.filter(month_end__lte=period.end)
            if (day := snapshots.aggregate(d=Max("month_end"))["d"]) is not None:
                latest |= Q(metric=m, month_end=day)
        if latest != Q(pk__in=[]):
            qs = _visible(BalanceSnapshot.objects.filter(latest), viewer, "account__owner")
            for row in _by_owner(qs, "account__", within, ("metric_id",), n=Sum("balance")):
                put(row["metric_id"], row["account__owner_id"], "n", row["n"])

    accuracy = by_source[MetricSource.FORECAST_ACCURACY]
    if accuracy:
        forecast_of = defaultdict(list)
        for m in accuracy:
            forecast_of[m.forecast_metric_id].append(m)
        qs = _visible(
            _in_period(Forecast.objects.filter(metric__in=list(forecast_of)), "month", period),
            viewer,
            "owner",
        )
        for row in _by_owner(qs, "", within, ("metric_id",), n=Sum("value")):
            for m in forecast_of[row["metric_id"]]:
                put(m.pk, row["owner_id"], "forecast", row["n"])
    return out


def _value(metric: Metric, parts: Parts, forecast_actual: Decimal | None = None) -> Decimal | None:
    """A metric's actual from its (rolled-up) parts; None when it cannot be known (a ratio over nothing)."""
    source = metric.source
    if source == MetricSource.RETENTION:
        return calculations.ratio(parts.get("kept"), parts.get("base"))
    if source == MetricSource.PRODUCT_MIX:
        return calculations.ratio(parts.get("part") or ZERO, parts.get("whole"))
    if source == MetricSource.FORECAST_ACCURACY:
        forecast = parts.get("forecast")
        return calculations.forecast_accuracy(forecast_actual or ZERO, Decimal(forecast or 0))
    return Decimal(parts.get("n") or 0)


def _owner_keys(scopes, within) -> dict[str, dict[int, int]]:
    """For each team or region scope: owner id → that scope's key (one query for the people in teams)."""
    keys: dict[str, dict[int, int]] = {}
    if not {Scope.TEAM, Scope.REGION} & set(scopes):
        return keys
    people = User.objects.filter(team__isnull=False)
    if within is not None and within[0] != Scope.BANK:
        field = {Scope.RM: "pk", Scope.TEAM: "team_id", Scope.REGION: "team__region_id"}[within[0]]
        people = people.filter(**{f"{field}__in": within[1]})
    rows = list(people.values_list("pk", "team_id", "team__region_id"))
    keys[Scope.TEAM] = {pk: team for pk, team, _region in rows}
    keys[Scope.REGION] = {pk: region for pk, _team, region in rows}
    return keys


def actuals_by_scope(
    *, metrics: list[Metric], scopes, period: Period, viewer: User | None, within=None
) -> dict[str, dict[int, dict[int, Decimal]]]:
    """Scope → metric id → owner key (0 for the bank) → the metric's actual over the period.

    The database sums each source table once, grouped by owner; teams, regions and the bank are the sums of
    their people's parts (a few numbers per owner, added here), and ratios are taken after adding, never
    averaged. `within` = (scope, ids) reads only those owners' rows (and then the bank is not asked for).
    Ratios without data are left out; a flow or balance without data is absent (read it as zero)."""
    needed = {m.pk: m for m in metrics}
    for m in metrics:
        if m.source == MetricSource.FORECAST_ACCURACY and m.forecast_metric_id not in needed:
            needed[m.forecast_metric_id] = m.forecast_metric
    ordered = sorted(needed.values(), key=lambda m: m.source == MetricSource.FORECAST_ACCURACY)
    parts = _owner_parts(ordered, period, viewer, within)
    keys = _owner_keys(scopes, within)
    team_of, region_of = keys.get(Scope.TEAM, {}), keys.get(Scope.REGION, {})
    region_of_team = {team: region_of[owner] for owner, team in team_of.items()}
    values: dict[str, dict[int, dict[int, Decimal]]] = {scope: {} for scope in scopes}
    for m in ordered:
        rolled = _rolled_up(parts[m.pk], scopes, team_of, region_of_team)
        for scope in scopes:
            forecast_actuals = values[scope].get(m.forecast_metric_id, {})
            values[scope][m.pk] = {
                k: v
                for k, p in rolled[scope].items()
                if (v := _value(m, p, forecast_actuals.get(k))) is not None
            }
    return {scope: {m.pk: values[scope][m.pk] for m in metrics} for scope in scopes}


def _merge(target: Parts, parts: Parts) -> None:
    for name, value in parts.items():
        target[name] = _add(target.get(name), value)


def _rolled_up(per_owner: dict[int, Parts], scopes, team_of: dict, region_of_team: dict) -> dict[str, dict]:
    """One metric's parts per owner key of each scope, in one pass over the people: an RM's as they are, a
    team's the sum of its people's, a region's of its teams', the bank's (key 0) of everyone's, people in
    no team included."""
    out: dict[str, dict] = {Scope.RM: per_owner}
    teams: dict[int, Parts] = defaultdict(dict)
    bank: Parts = {}
    by_team, whole_bank = Scope.TEAM in scopes or Scope.REGION in scopes, Scope.BANK in scopes
    for owner_id, owner_parts in per_owner.items():
        if whole_bank:
            _merge(bank, owner_parts)
        if by_team and (team := team_of.get(owner_id)) is not None:
            _merge(teams[team], owner_parts)
    out[Scope.TEAM] = teams
    regions: dict[int, Parts] = defaultdict(dict)
    if Scope.REGION in scopes:
        for team, team_parts in teams.items():
            if (region := region_of_team.get(team)) is not None:
                _merge(regions[region], team_parts)
    out[Scope.REGION] = regions
    out[Scope.BANK] = {0: bank} if per_owner else {}
    return out


def actuals(*, metric: Metric, scope: str, period: Period, viewer: User | None) -> dict[int, Decimal]:
    """The metric's actual per owner key over the period (balances: the latest month end in the period)."""
    return actuals_by_scope(metrics=[metric], scopes=[scope], period=period, viewer=viewer)[scope][metric.pk]


def _plans(
    *, metrics: list[Metric], scope: str, year: int, month: int, owner_ids: Collection[int] | None = None
) -> dict[tuple[int, int], Decimal]:
    """Plan to date per (metric id, owner key) from the targets; the bank's plan is its regions' sum."""
    owner_field = {
        Scope.RM: "user_id",
        Scope.TEAM: "team_id",
        Scope.REGION: "region_id",
        Scope.BANK: "region_id",
    }
    targets = Target.objects.filter(metric__in=metrics, year=year).filter(
        **{f"{owner_field[scope]}__isnull": False}
    )
    if owner_ids is not None and scope != Scope.BANK:
        targets = targets.filter(**{f"{owner_field[scope]}__in": owner_ids})
    kinds = {m.pk: m.kind for m in metrics}
    plans: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    shares_of: dict = {}  # the month shares of each distribution, worked out once
    for metric_id, owner, value, baseline, distribution, weights in targets.values_list(
        "metric_id", owner_field[scope], "value", "baseline", "distribution_id", "distribution__weights"
    ):
        if distribution not in shares_of:
            shares_of[distribution] = calculations.month_shares(weights)
        shares = shares_of[distribution]
        if kinds[metric_id] == MetricKind.FLOW:
            plan = calculations.flow_plan_to_date(value, shares, month)
        elif kinds[metric_id] == MetricKind.BALANCE:
            plan = calculations.balance_plan_at(baseline or ZERO, value, shares, month)
        else:
            if scope == Scope.BANK:
                continue  # a ratio has no bank-wide sum
            plan = value
        plans[(metric_id, 0 if scope == Scope.BANK else owner)] += plan
    return dict(plans)


def plan_vs_actual_scopes(
    *, scopes, year: int, month: int, viewer: User | None, metrics: list[Metric] | None = None, within=None
) -> dict[str, list[PlanActualRow]]:
    """Plan to date, actual to date, variance, attainment and status per owner × metric for each scope,
    year to date at the end of `month`. `within` = (scope, ids) limits every scope to those owners (an RM
    within a team, a team within a region...). Queries: owners and targets per scope, and one aggregate per
    source table for all the scopes together, whatever the number of owners or metrics."""
    metrics = (
        list(Metric.objects.filter(is_active=True).select_related("forecast_metric"))
        if metrics is None
        else metrics
    )
    period = _year_to_date(year, month)
    actual = actuals_by_scope(metrics=metrics, scopes=scopes, period=period, viewer=viewer, within=within)
    out = {}
    for scope in scopes:
        the_owners = owners(scope=scope, viewer=viewer, within=within)
        plans = _plans(
            metrics=metrics, scope=scope, year=year, month=month,
            owner_ids=None if within is None else [o.id for o in the_owners],
        )  # fmt: skip
        rows = []
        for metric in metrics:
            values = actual[scope][metric.pk]
            for owner in the_owners:
                value = values.get(owner.id)
                if value is None and metric.kind != MetricKind.RATIO:
                    value = ZERO
                rows.append(
                    PlanActualRow(owner, metric, year, month, plans.get((metric.pk, owner.id)), value)
                )
        out[scope] = rows
    return out


def plan_vs_actual(
    *, scope: str, year: int, month: int, viewer: User | None, metrics: list[Metric] | None = None,
    owner_ids: list[int] | None = None,
) -> list[PlanActualRow]:  # fmt: skip
    """`plan_vs_actual_scopes` for one scope, optionally only for the owners `owner_ids` of that scope."""
    within = (scope, owner_ids) if owner_ids is not None else None
    return plan_vs_actual_scopes(
        scopes=[scope], year=year, month=month, viewer=viewer, metrics=metrics, within=within
    )[scope]


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


# --- Record pages: activities, deals, targets, standards, forecasts ---------------------------------


def activities_visible_to(*, viewer: User) -> QuerySet[Activity]:
    """Activities of everyone the viewer may see, with account, contact and owner joined."""
    return owned_by_visible(
        viewer=viewer, queryset=Activity.objects.select_related("account", "contact", "owner")
    )


def opportunities_visible_to(*, viewer: User) -> QuerySet[Opportunity]:
    """Deals of everyone the viewer may see, with account, product and owner joined."""
    return owned_by_visible(
        viewer=viewer, queryset=Opportunity.objects.select_related("account", "product", "owner")
    )


def opportunity_detail(*, viewer: User, pk: int) -> Opportunity | None:
    """One visible deal with its stage history (and who moved it) prefetched; None when not visible."""
    changes = StageChange.objects.select_related("changed_by").order_by("changed_on", "pk")
    return (
        opportunities_visible_to(viewer=viewer)
        .prefetch_related(Prefetch("stage_changes", queryset=changes))
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class DealTotals:
    currency: str
    open_count: int
    open_value: Decimal
    won_count: int
    won_value: Decimal


def opportunity_totals(*, deals: QuerySet[Opportunity]) -> list[DealTotals]:
    """Count and value of the open deals and of the won deals among `deals`, per currency: one grouped
    aggregate (values in different currencies are never added together)."""
    is_open, is_won = Q(stage__in=OPEN_STAGES), Q(stage=Stage.WON)
    rows = (
        deals.order_by()
        .values("currency")
        .annotate(
            open_count=Count("pk", filter=is_open),
            open_value=Sum("value", filter=is_open),
            won_count=Count("pk", filter=is_won),
            won_value=Sum("value", filter=is_won),
        )
        .order_by("currency")
    )
    return [
        DealTotals(
            r["currency"], r["open_count"], r["open_value"] or ZERO, r["won_count"], r["won_value"] or ZERO
        )
        for r in rows
        if r["open_count"] or r["won_count"]
    ]


def target_owners_for(*, viewer: User) -> tuple[QuerySet[User], QuerySet[Team], QuerySet[Region]]:
    """Whom the viewer may set targets for: the RMs they manage, the teams they lead (a director: their
    region's teams) and the regions they direct; everything for an admin, nothing for an RM."""
    if viewer.role not in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
        return User.objects.none(), Team.objects.none(), Region.objects.none()
    rms = (
        users_changeable_by(viewer=viewer)
        .with_role(Role.RM)
        .select_related("team")
        .order_by("display_name", "pk")
    )
    return rms, teams_visible_to(viewer=viewer).order_by("name"), regions_visible_to(viewer=viewer)


def targets_visible_to(*, viewer: User) -> QuerySet[Target]:
    """Targets the viewer may see: those of the people they see, of the teams they lead or whose region
    they direct, and of the regions they direct (an RM: their own; an admin: all)."""
    targets = Target.objects.select_related("metric", "user__team", "team", "region", "distribution")
    role = viewer.role
    if role == Role.ADMIN:
        return targets
    visible = Q(user__in=users_visible_to(viewer=viewer).values("pk"))
    if role in (Role.LEADER, Role.DIRECTOR):
        visible |= Q(team__in=teams_visible_to(viewer=viewer).values("pk"))
    if role == Role.DIRECTOR:
        visible |= Q(region__in=regions_visible_to(viewer=viewer).values("pk"))
    return targets.filter(visible)


def team_target_gaps_for(*, team_ids: list[int], year: int) -> dict[int, list[dict]]:
    """`team_target_gaps` for several teams at once (two queries): per team, each metric's team target next
    to the sum of its RMs' targets and the gap (RM sum − team target; none for ratios)."""
    team_targets = (
        Target.objects.filter(team__in=team_ids, year=year)
        .select_related("metric")
        .order_by("team_id", "metric__display_order", "metric__name")
    )
    rm_sums = {
        (r["user__team_id"], r["metric_id"]): r["total"]
        for r in Target.objects.filter(user__team__in=team_ids, year=year)
        .order_by()
        .values("user__team_id", "metric_id")
        .annotate(total=Sum("value"))
    }
    gaps: dict[int, list[dict]] = defaultdict(list)
    for target in team_targets:
        rm_total = rm_sums.get((target.team_id, target.metric_id))
        gap = None if rm_total is None or target.metric.kind == MetricKind.RATIO else rm_total - target.value
        gaps[target.team_id].append(
            {"metric": target.metric, "team_target": target.value, "rm_total": rm_total, "gap": gap}
        )
    return dict(gaps)


def standards_visible_to(*, viewer: User) -> QuerySet[Standard]:
    """The guidance parameters of the teams the viewer may see, with team and metric joined."""
    return Standard.objects.filter(team__in=teams_visible_to(viewer=viewer).values("pk")).select_related(
        "team", "metric"
    )


def standard_teams_for(*, viewer: User) -> QuerySet[Team]:
    """Teams whose guidance parameters the viewer may set: the ones they lead, their region's (director),
    all (admin); none for an RM."""
    if viewer.role not in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
        return Team.objects.none()
    return teams_visible_to(viewer=viewer).order_by("name")


@dataclass(frozen=True)
class StandardCell:
    """One RM's figure against a standard: per week or month (averaged) or as a ratio, and its status."""

    owner: Owner
    actual: Decimal | None
    status: str | None  # calculations.status; None when there is no figure to compare


@dataclass(frozen=True)
class StandardRow:
    standard: Standard
    at_risk: Decimal
    off_track: Decimal
    metric_default: bool  # the tolerances are the metric's, not the standard's own
    cells: list[StandardCell]
    funnel_ratio: str | None = None  # the funnel KPI a "share or ratio" standard on a count is held against


@dataclass(frozen=True)
class TeamStandards:
    team: Team
    rms: list[Owner]
    rows: list[StandardRow]


def standard_board(*, viewer: User, today: date, teams: list[Team] | None = None) -> list[TeamStandards]:
    """Each visible team's guidance parameters with each visible RM's figure for the year to date.

    Per-week (per-month) standards compare the RM's count ÷ weeks (months) elapsed; ratio standards the
    RM's ratio: a metric's own (a product mix, retention) or, for a count that is a funnel ratio's numerator
    (appointments, proposals, wins), that ratio, as the funnel page reads the same standard (see
    RATIO_STANDARD_SOURCES). One aggregate per source table for all RMs at once, whatever their number.
    `teams` (some of the visible teams: a page of them) narrows the board, and what it reads, to those.
    """
    if teams is None:
        teams = list(teams_visible_to(viewer=viewer).order_by("name", "pk"))
    within = (Scope.TEAM, [t.pk for t in teams])
    standards = list(
        Standard.objects.filter(team__in=teams)
        .select_related("metric__forecast_metric")
        .order_by("metric__display_order", "metric__name", "pk")
    )
    rms = owners(scope=Scope.RM, viewer=viewer, within=within)
    start = date(today.year, 1, 1)
    period = Period(start, today, f"{today.year} YTD")
    metrics = {s.metric_id: s.metric for s in standards}
    figures = actuals_by_scope(
        metrics=list(metrics.values()), scopes=[Scope.RM], period=period, viewer=viewer, within=within
    )[Scope.RM]
    divisor = {
        StandardPeriod.WEEK: calculations.weeks_elapsed(start, today),
        StandardPeriod.MONTH: calculations.months_elapsed(start, today),
    }
    kpi_of = {source: kpi for kpi, source in RATIO_STANDARD_SOURCES.items()}
    funnels = {}
    if rms and any(s.period == StandardPeriod.RATIO and s.metric.source in kpi_of for s in standards):
        read = funnel(scope=Scope.RM, period=period, viewer=viewer, of=rms, median=False)
        funnels = {row.owner.id: row.funnel for row in read}
    board = []
    for team in teams:
        team_rms = [o for o in rms if o.team_id == team.pk]
        rows = []
        for standard in (s for s in standards if s.team_id == team.pk):
            metric = standard.metric
            at_risk = standard.tolerance_at_risk
            off_track = standard.tolerance_off_track
            metric_default = at_risk is None and off_track is None
            at_risk = metric.tolerance_at_risk if at_risk is None else at_risk
            off_track = metric.tolerance_off_track if off_track is None else off_track
            kpi = kpi_of.get(metric.source) if standard.period == StandardPeriod.RATIO else None
            cells = []
            for rm in team_rms:
                raw = figures[metric.pk].get(rm.id)
                if raw is None and metric.kind != MetricKind.RATIO:
                    raw = ZERO  # no activity is a count of zero; a ratio without data stays unknown
                if kpi is not None:  # e.g. appointments "as a share": appointments ÷ conversations
                    actual = getattr(funnels[rm.id], kpi) if rm.id in funnels else None
                elif standard.period in divisor:
                    actual = calculations.average_per(raw, divisor[standard.period])
                else:
                    actual = raw
                status = None
                if actual is not None:
                    status = calculations.status(
                        actual, standard.value, lower_is_better=metric.direction == Direction.LOWER,
                        at_risk=at_risk, off_track=off_track,
                    )  # fmt: skip
                cells.append(StandardCell(rm, actual, status))
            rows.append(StandardRow(standard, at_risk, off_track, metric_default, cells, kpi))
        board.append(TeamStandards(team, team_rms, rows))
    return board


def forecast_metrics(*, owner: User) -> QuerySet[Metric]:
    """Metrics an RM forecasts month by month: won revenue, any metric a forecast-accuracy metric checks,
    and any metric they already have forecasts for."""
    return Metric.objects.filter(
        Q(code="won-revenue")
        | Q(pk__in=Metric.objects.filter(source=MetricSource.FORECAST_ACCURACY).values("forecast_metric"))
        | Q(pk__in=Forecast.objects.filter(owner=owner).values("metric"))
    ).order_by("display_order", "name")


_ACTIVITY_SOURCES = {
    MetricSource.CONVERSATIONS: Q(kind=ActivityKind.CONVERSATION),
    MetricSource.APPOINTMENTS: Q(kind=ActivityKind.APPOINTMENT),
    MetricSource.FIRST_APPOINTMENTS: Q(kind=ActivityKind.APPOINTMENT, is_first_appointment=True),
    MetricSource.PROPOSALS: Q(kind=ActivityKind.PROPOSAL),
}


def monthly_actuals(*, metric: Metric, owner: User, year: int, viewer: User) -> dict[int, Decimal]:
    """One RM's actual per month (1–12) of a year in one grouped query: a flow's monthly sum, a balance's
    month-end level. Ratios have no monthly figure here (empty)."""
    source = metric.source
    if source in _ACTIVITY_SOURCES:
        qs, day, agg = Activity.objects.filter(_ACTIVITY_SOURCES[source], owner=owner), "date", Count("pk")
    elif source in (MetricSource.WINS, MetricSource.WON_REVENUE):
        qs, day = Opportunity.objects.filter(stage=Stage.WON, owner=owner), "close_date"
        agg = Count("pk") if source == MetricSource.WINS else Sum("value")
    elif source == MetricSource.NEW_CLIENTS:
        qs, day, agg = Account.objects.filter(owner=owner), "client_since", Count("pk")
    elif source == MetricSource.MANUAL:
        qs, day, agg = FlowActual.objects.filter(metric=metric, owner=owner), "month", Sum("value")
    elif source == MetricSource.BALANCE:
        qs = BalanceSnapshot.objects.filter(metric=metric, account__owner=owner)
        day, agg = "month_end", Sum("balance")
    else:
        return {}
    owner_field = "account__owner" if source == MetricSource.BALANCE else "owner"
    qs = _visible(qs.filter(**{f"{day}__year": year}), viewer, owner_field)
    rows = qs.order_by().annotate(m=TruncMonth(day)).values("m").annotate(n=agg)
    return {row["m"].month: Decimal(row["n"] or 0) for row in rows}


@dataclass(frozen=True)
class ForecastMonth:
    month: date  # the first of the month
    forecast: Decimal | None
    actual: Decimal | None  # None for months not started yet
    accuracy: Decimal | None  # closed months with a forecast only
    is_closed: bool


def forecast_grid(
    *, viewer: User, owner: User, metric: Metric, year: int, today: date
) -> list[ForecastMonth]:
    """The twelve months of a year: the RM's forecast, the actual, and the forecast accuracy of each month
    already over (two queries: the forecasts, and the actuals grouped by month)."""
    forecasts = {
        f.month.month: f.value
        for f in _visible(
            Forecast.objects.filter(owner=owner, metric=metric, month__year=year), viewer, "owner"
        )
    }
    actual = monthly_actuals(metric=metric, owner=owner, year=year, viewer=viewer)
    grid = []
    for month in range(1, 13):
        first = date(year, month, 1)
        closed = calculations.month_end(year, month) < today
        value = actual.get(month, ZERO) if first <= today else None
        accuracy = calculations.forecast_accuracy(value, forecasts.get(month)) if closed else None
        grid.append(ForecastMonth(first, forecasts.get(month), value, accuracy, closed))
    return grid


# --- Dashboards: monthly series and team standards ------------------------------------------------------


@dataclass(frozen=True)
class MonthlySeries:
    """Plan and actual of one owner × metric for each month of a year (index 0 is January).

    Flows are cumulated from January (the plan to date and the actual to date at each month end); balances
    are the level at each month end. Actuals stop after the month asked for (None beyond)."""

    metric: Metric
    plan: list[Decimal | None]
    actual: list[Decimal | None]


def _visibility_q(viewer: User | None, owner_field: str) -> Q:
    if viewer is None or viewer.role == Role.ADMIN:
        return Q()
    return Q(**{f"{owner_field}__in": users_visible_to(viewer=viewer).values("pk")})


def _monthly_flow(metric: Metric, scope: str, owner_id: int, year: int, viewer) -> dict[int, Decimal]:
    """One grouped query: the metric's flow actual per calendar month of the year for one owner."""
    year_period = Period(date(year, 1, 1), date(year, 12, 31), str(year))
    source = metric.source
    if source in _ACTIVITY_SOURCES:
        qs, day, agg = Activity.objects.filter(_ACTIVITY_SOURCES[source]), "date", Count("pk")
    elif source in (MetricSource.WINS, MetricSource.WON_REVENUE):
        qs, day = Opportunity.objects.filter(stage=Stage.WON), "close_date"
        agg = Count("pk") if source == MetricSource.WINS else Sum("value")
    elif source == MetricSource.NEW_CLIENTS:
        qs, day, agg = Account.objects.all(), "client_since", Count("pk")
    elif source == MetricSource.MANUAL:
        qs, day, agg = FlowActual.objects.filter(metric=metric), "month", Sum("value")
    else:
        raise ValueError(f"{metric.code} is not a flow with monthly actuals")
    qs = _visible(_in_period(qs, day, year_period), viewer, "owner").filter(_owned_by(scope, [owner_id]))
    rows = qs.annotate(m=TruncMonth(day)).order_by().values("m").annotate(n=agg)
    return {row["m"].month: Decimal(row["n"] or 0) for row in rows}


def _monthly_balance(metric: Metric, scope: str, owner_id: int, year: int, viewer) -> dict[date, Decimal]:
    """One grouped query: every month end with a snapshot in the year, with the owner's total balance then
    (zero when the owner has none that day). All month ends are kept, as `actuals` takes the latest one."""
    owner_q = _owned_by(scope, [owner_id], "account__") & _visibility_q(viewer, "account__owner")
    rows = (
        BalanceSnapshot.objects.filter(metric=metric, month_end__year=year)
        .order_by()
        .values("month_end")
        .annotate(n=Sum("balance", filter=owner_q))
    )
    return {row["month_end"]: Decimal(row["n"] or 0) for row in rows}


def monthly_series(
    *, scope: str, owner_id: int, metrics: list[Metric], year: int, month: int, viewer: User | None
) -> list[MonthlySeries]:
    """Plan and actual per month of the year for one owner and each flow or balance metric, the figures of
    `plan_vs_actual` at every month end. Queries: the owner's targets, then one grouped query per metric."""
    owner_field = {Scope.RM: "user_id", Scope.TEAM: "team_id", Scope.REGION: "region_id"}[scope]
    targets = {
        t.metric_id: t
        for t in Target.objects.filter(
            metric__in=metrics, year=year, **{owner_field: owner_id}
        ).select_related("distribution")
    }
    series = []
    for metric in metrics:
        target = targets.get(metric.pk)
        plan: list[Decimal | None] = [None] * 12
        if target is not None:
            shares = calculations.month_shares(target.distribution.weights if target.distribution else None)
            for m in range(1, 13):
                if metric.kind == MetricKind.BALANCE:
                    plan[m - 1] = calculations.balance_plan_at(
                        target.baseline or ZERO, target.value, shares, m
                    )
                else:
                    plan[m - 1] = calculations.flow_plan_to_date(target.value, shares, m)
        if metric.kind == MetricKind.BALANCE:
            levels = _monthly_balance(metric, scope, owner_id, year, viewer)
            actual = []
            for m in range(1, month + 1):
                passed = [d for d in levels if d <= calculations.month_end(year, m)]
                actual.append(levels[max(passed)] if passed else ZERO)
        else:
            per_month = _monthly_flow(metric, scope, owner_id, year, viewer)
            actual = calculations.running_totals([per_month.get(m, ZERO) for m in range(1, month + 1)])
        series.append(MonthlySeries(metric, plan, actual + [None] * (12 - month)))
    return series


# Which team standard a funnel ratio is held against: a standard "as a share or ratio" on the metric of the
# ratio's numerator (appointments per conversation, proposals per first appointment, wins per closed deal).
RATIO_STANDARD_SOURCES = {
    "conversation_to_appointment": MetricSource.APPOINTMENTS,
    "first_appointment_to_proposal": MetricSource.PROPOSALS,
    "closing_ratio": MetricSource.WINS,
}


def team_standards(*, team_ids: list[int], viewer: User | None) -> dict[int, dict[tuple[str, str], Standard]]:
    """The guidance parameters of the teams the viewer may see, per team and (metric source, period):
    e.g. standards[team_id][("conversations", "week")]. One query."""
    standards = Standard.objects.filter(team_id__in=team_ids).select_related("metric")
    if viewer is not None:
        standards = standards.filter(team__in=teams_visible_to(viewer=viewer).values("pk"))
    by_team: dict[int, dict[tuple[str, str], Standard]] = defaultdict(dict)
    for standard in standards:
        by_team[standard.team_id][(standard.metric.source, standard.period)] = standard
    return dict(by_team)


def ratio_standard(standards: dict[tuple[str, str], Standard], kpi: str) -> Standard | None:
    """The team's standard for a funnel ratio (see RATIO_STANDARD_SOURCES), if it set one."""
    return standards.get((RATIO_STANDARD_SOURCES[kpi], StandardPeriod.RATIO))
