"""Demo numbers: products, a seasonal distribution, two years of activities and deals per RM, monthly
loan and DDA balances per client, 2026 targets (RMs, teams, regions), team standards, forecasts, and the
stored month-end plan-versus-actual snapshots of 2026.

Idempotent: an RM who already has activities gets none added; targets, standards and forecasts are
looked up by their natural keys; a month-end snapshot replaces the month. Random choices are seeded per RM.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Region, Role, Team, User
from targeting.models import Account, AccountStatus

from . import selectors, services
from .calculations import month_end
from .models import (
    Activity,
    ActivityKind,
    BalanceSnapshot,
    Distribution,
    Forecast,
    Metric,
    MetricKind,
    Opportunity,
    PlanActual,
    Product,
    Stage,
    StageChange,
    Standard,
    StandardPeriod,
    Target,
)

START = date(2025, 1, 6)  # a Monday: two years of weekly activity up to today
TARGET_YEAR = 2026

PRODUCTS = [
    ("Term loan", "Loans", 25000), ("Equipment lease", "Loans", 18000), ("Revolving credit", "Loans", 12000),
    ("Business current account", "Deposits", 3000), ("Term deposit", "Deposits", 8000),
    ("Card acquiring", "Cash management", 6000), ("Cash pooling", "Cash management", 9000),
    ("Payroll services", "Cash management", 4000),
]  # fmt: skip
SEASONAL = ("Seasonal: quiet August and December", [9, 9, 10, 9, 9, 9, 8, 4, 9, 10, 9, 5])
OUTCOMES = {
    ActivityKind.CONVERSATION: [
        "Appointment set",
        "Call back next month",
        "Not interested now",
        "Sent brochure",
    ],
    ActivityKind.APPOINTMENT: ["Needs confirmed", "Met the CFO", "Asked for a proposal", "Follow-up planned"],
    ActivityKind.PROPOSAL: ["Proposal sent", "Presented to the board", "Revised pricing"],
}
STANDARDS = [
    ("conversations", Decimal("15"), StandardPeriod.WEEK),
    ("appointments", Decimal("3"), StandardPeriod.WEEK),
    ("first-appointments", Decimal("2"), StandardPeriod.WEEK),
    ("proposals", Decimal("1"), StandardPeriod.WEEK),
    ("mix-loans", Decimal("0.40"), StandardPeriod.RATIO),
    ("forecast-accuracy", Decimal("0.85"), StandardPeriod.RATIO),
]


def _months(first: date, last: date):
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _rm_history(rm: User, products: list[Product], today: date, rng: random.Random):
    """Weekly conversations, appointments and proposals, with the deals they lead to."""
    accounts = list(Account.objects.filter(owner=rm).order_by("pk"))
    prospects = [a for a in accounts if a.status == AccountStatus.PROSPECT] or accounts
    clients = [a for a in accounts if a.status == AccountStatus.ACTIVE] or accounts
    skill = rng.uniform(0.6, 1.3)  # some RMs miss the team standard of 15 conversations a week
    appointment_rate = rng.uniform(0.05, 0.19)  # most RMs within the national 4–18% band, a few above
    closing = rng.uniform(0.25, 0.6)
    activities, deals = [], []
    week = START
    while week <= today - timedelta(days=3):
        for _ in range(max(0, round(rng.gauss(13 * skill, 3)))):
            day = week + timedelta(days=rng.randint(0, 4))
            account = rng.choice(prospects if rng.random() < 0.7 else clients)
            activities.append(Activity(owner=rm, kind=ActivityKind.CONVERSATION, account=account, date=day,
                                       outcome=rng.choice(OUTCOMES[ActivityKind.CONVERSATION])))  # fmt: skip
            if rng.random() >= appointment_rate:
                continue
            meeting = day + timedelta(days=rng.randint(3, 14))
            if meeting > today:
                continue
            first = rng.random() < 0.65
            activities.append(Activity(owner=rm, kind=ActivityKind.APPOINTMENT, is_first_appointment=first,
                                       account=account, date=meeting,
                                       outcome=rng.choice(OUTCOMES[ActivityKind.APPOINTMENT])))  # fmt: skip
            if not first or rng.random() > 0.55:
                continue
            proposed = meeting + timedelta(days=rng.randint(5, 20))
            if proposed > today:
                continue
            activities.append(Activity(owner=rm, kind=ActivityKind.PROPOSAL, account=account, date=proposed,
                                       outcome=rng.choice(OUTCOMES[ActivityKind.PROPOSAL])))  # fmt: skip
            product = rng.choice(products)
            close = proposed + timedelta(days=rng.randint(15, 110))
            stage = (
                (Stage.WON if rng.random() < closing else Stage.LOST) if close <= today else Stage.PROPOSAL
            )
            value = (product.list_price * Decimal(str(round(rng.uniform(0.5, 3.0), 2)))).quantize(
                Decimal("1")
            )
            investment = value * Decimal(rng.randint(3, 8))
            deals.append(Opportunity(
                account=account, product=product, owner=rm, name=f"{product.name} · {account.legal_name}",
                stage=stage, engage_date=day, close_date=close if stage != Stage.PROPOSAL else None, value=value,
                investment=investment if rng.random() < 0.5 else None,
                cash_flows=[str((investment * Decimal(str(rng.uniform(0.2, 0.45)))).quantize(Decimal("1")))
                            for _ in range(4)],
            ))  # fmt: skip
        week += timedelta(days=7)
    # A few fresh deals still at the start of the pipeline.
    for account in rng.sample(prospects, min(4, len(prospects))):
        product = rng.choice(products)
        deals.append(Opportunity(account=account, product=product, owner=rm, stage=rng.choice(
            [Stage.PROSPECTING, Stage.ENGAGING]), engage_date=today - timedelta(days=rng.randint(2, 30)),
            value=product.list_price, name=f"{product.name} · {account.legal_name}"))  # fmt: skip
    return activities, deals, skill


def _balances(rm: User, metrics: dict[str, Metric], last: date, skill: float, rng: random.Random):
    """Month-end loan and DDA balances for each client while it was a client, trending with the RM."""
    rows = []
    trend = Decimal(str(round(0.002 + 0.008 * (skill - 0.6), 4)))  # monthly growth, 0.2% to 0.76%
    clients = Account.objects.filter(owner=rm, status__in=[AccountStatus.ACTIVE, AccountStatus.FORMER])
    for account in clients:
        revenue = account.annual_revenue or Decimal("1000000")
        loans = (revenue * Decimal(str(rng.uniform(0.03, 0.12)))).quantize(Decimal("1"))
        dda = (revenue * Decimal(str(rng.uniform(0.02, 0.06)))).quantize(Decimal("1"))
        for year, month in _months(START, last):
            end = month_end(year, month)
            if account.client_since and end < account.client_since:
                continue
            if account.client_until and end > account.client_until:
                break
            noise = Decimal(str(rng.uniform(-0.01, 0.01)))
            loans = (loans * (1 + trend + noise)).quantize(Decimal("1"))
            dda = (dda * (1 + trend - noise)).quantize(Decimal("1"))
            rows.append(
                BalanceSnapshot(account=account, metric=metrics["loans"], month_end=end, balance=loans)
            )
            rows.append(BalanceSnapshot(account=account, metric=metrics["dda"], month_end=end, balance=dda))
    return rows


def _rm_targets(rm: User, metrics: dict[str, Metric], seasonal: Distribution) -> list[Target]:
    """2026 targets: balances +10% on the year, activity at the team standard, wins from last year."""

    def balance_at(code):
        return BalanceSnapshot.objects.filter(
            account__owner=rm, metric=metrics[code], month_end=date(TARGET_YEAR - 1, 12, 31)
        ).aggregate(s=Sum("balance"))["s"] or Decimal(0)

    won_last_year = Opportunity.objects.filter(
        owner=rm, stage=Stage.WON, close_date__year=TARGET_YEAR - 1
    ).aggregate(s=Sum("value"))["s"] or Decimal("50000")
    values = {
        "loans": (balance_at("loans") * Decimal("1.10"), balance_at("loans"), None),
        "dda": (balance_at("dda") * Decimal("1.10"), balance_at("dda"), None),
        "won-revenue": (won_last_year * Decimal("1.10"), None, seasonal),
        "new-clients": (Decimal(6), None, None),
        "conversations": (Decimal(15 * 46), None, None),
        "appointments": (Decimal(3 * 46), None, None),
        "first-appointments": (Decimal(2 * 46), None, None),
        "proposals": (Decimal(46), None, None),
        "wins": (Decimal(18), None, None),
        "hv-retention": (Decimal(1), None, None),
        "mix-loans": (Decimal("0.40"), None, None),
        "forecast-accuracy": (Decimal("0.85"), None, None),
    }
    return [
        Target(user=rm, metric=metrics[code], year=TARGET_YEAR, value=value.quantize(Decimal("0.01")),
               baseline=baseline.quantize(Decimal("0.01")) if baseline is not None else None, distribution=dist)
        for code, (value, baseline, dist) in values.items()
    ]  # fmt: skip


def _owner_targets(metrics, teams, regions) -> list[Target]:
    """Team and region targets: their members' sums (one team asks 5% more revenue and new clients than its
    RMs committed to: a gap for the targets page and a disconnect for the plans)."""
    rows = []
    for team in teams:
        sums = (
            Target.objects.filter(user__team=team, year=TARGET_YEAR)
            .values("metric_id")
            .annotate(s=Sum("value"))
        )
        for row in sums.order_by():
            metric = metrics[row["metric_id"]]
            stretch = team.name == "Lyon Entreprises" and metric.code in ("won-revenue", "new-clients")
            uplift = Decimal("1.05") if stretch else Decimal(1)
            value = (
                row["s"] * uplift
                if metric.kind != MetricKind.RATIO
                else Target.objects.filter(user__team=team, metric=metric, year=TARGET_YEAR).first().value
            )
            baseline = (
                Target.objects.filter(user__team=team, metric=metric, year=TARGET_YEAR).aggregate(
                    b=Sum("baseline")
                )["b"]
                if metric.kind == MetricKind.BALANCE
                else None
            )
            rows.append(Target(team=team, metric=metric, year=TARGET_YEAR, value=value.quantize(Decimal("0.01")),
                               baseline=baseline))  # fmt: skip
    for region in regions:
        sums = Target.objects.filter(team__region=region, year=TARGET_YEAR).values("metric_id").annotate(
            s=Sum("value"), b=Sum("baseline"))  # fmt: skip
        for row in sums.order_by():
            metric = metrics[row["metric_id"]]
            if metric.kind == MetricKind.RATIO:
                value = (
                    Target.objects.filter(team__region=region, metric=metric, year=TARGET_YEAR).first().value
                )
            else:
                value = row["s"]
            rows.append(Target(region=region, metric=metric, year=TARGET_YEAR, value=value,
                               baseline=row["b"] if metric.kind == MetricKind.BALANCE else None))  # fmt: skip
    return rows


def seed(*, stdout=None) -> None:
    """Create the demo numbers where they are missing and store 2026's month-end snapshots."""
    today = timezone.localdate()
    last_closed = month_end(*selectors.latest_closed_month(today))
    metrics = {m.code: m for m in Metric.objects.all()}
    created = 0
    with transaction.atomic():
        products = []
        for name, category, price in PRODUCTS:
            product, _ = Product.objects.get_or_create(
                name=name, defaults={"category": category, "list_price": price}
            )
            products.append(product)
        seasonal, _ = Distribution.objects.get_or_create(name=SEASONAL[0], defaults={"weights": SEASONAL[1]})
        rms = User.objects.with_role(Role.RM).filter(activities__isnull=True).order_by("email")
        for rm in rms:
            rng = random.Random(f"salesplan-kpis-{rm.email}")  # noqa: S311 - demo data, not security
            activities, deals, skill = _rm_history(rm, products, today, rng)
            Activity.objects.bulk_create(activities, batch_size=2000)
            Opportunity.objects.bulk_create(deals, batch_size=1000)
            StageChange.objects.bulk_create(
                [StageChange(opportunity=d, to_stage=Stage.ENGAGING, changed_on=d.engage_date) for d in deals]
                + [StageChange(opportunity=d, from_stage=Stage.ENGAGING, to_stage=d.stage,
                               changed_on=d.close_date or today) for d in deals if d.stage != Stage.ENGAGING],
                batch_size=2000,
            )  # fmt: skip
            BalanceSnapshot.objects.bulk_create(
                _balances(rm, metrics, last_closed, skill, rng), batch_size=2000
            )
            Target.objects.bulk_create(_rm_targets(rm, metrics, seasonal))
            forecasts = []
            for year, month in _months(date(TARGET_YEAR, 1, 1), date(TARGET_YEAR, 12, 1)):
                won = Opportunity.objects.filter(owner=rm, stage=Stage.WON, close_date__year=year,
                                                 close_date__month=month).aggregate(s=Sum("value"))["s"]  # fmt: skip
                guess = (won or Decimal("8000")) * Decimal(str(round(rng.uniform(0.7, 1.3), 2)))
                forecasts.append(Forecast(owner=rm, metric=metrics["won-revenue"], month=date(year, month, 1),
                                          value=guess.quantize(Decimal("1"))))  # fmt: skip
            Forecast.objects.bulk_create(forecasts)
            created += len(activities)
        teams, regions = list(Team.objects.all()), list(Region.objects.all())
        if not Target.objects.filter(team__isnull=False).exists():
            by_id = {m.pk: m for m in metrics.values()}
            Target.objects.bulk_create(_owner_targets(by_id, teams, []))
            Target.objects.bulk_create(_owner_targets(by_id, [], regions))
        for team in teams:
            for code, value, period in STANDARDS:
                Standard.objects.get_or_create(
                    team=team, metric=metrics[code], defaults={"value": value, "period": period}
                )
        now = timezone.now()
        for year, month in _months(date(TARGET_YEAR, 1, 1), last_closed):
            if year == TARGET_YEAR and not PlanActual.objects.filter(year=year, month=month).exists():
                services.plan_actual_store(year=year, month=month, now=now)
    if stdout is not None:
        stdout.write(f"kpis: {created} activities created ({Activity.objects.count()} in all, "
                     f"{Opportunity.objects.count()} opportunities, {BalanceSnapshot.objects.count()} balances).")  # fmt: skip
