"""Factories for the kpis app."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from kpis.models import (
    Activity,
    ActivityKind,
    BalanceSnapshot,
    Distribution,
    FlowActual,
    Forecast,
    ImportJob,
    ImportKind,
    Metric,
    MetricKind,
    MetricSource,
    MetricUnit,
    Opportunity,
    PlanActual,
    Product,
    Stage,
    StageChange,
    Standard,
    Target,
)
from tests.factories.accounts import AdminFactory, RMFactory, TeamFactory
from tests.factories.targeting import AccountFactory


class MetricFactory(DjangoModelFactory):
    class Meta:
        model = Metric
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"metric-{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    kind = MetricKind.FLOW
    unit = MetricUnit.COUNT
    source = MetricSource.CONVERSATIONS


class DistributionFactory(DjangoModelFactory):
    class Meta:
        model = Distribution

    name = factory.Sequence(lambda n: f"Distribution {n}")
    weights = [1] * 12


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    metric = factory.SubFactory(MetricFactory)
    year = 2026
    user = factory.SubFactory(RMFactory)
    value = Decimal("120")


class StandardFactory(DjangoModelFactory):
    class Meta:
        model = Standard

    team = factory.SubFactory(TeamFactory)
    metric = factory.SubFactory(MetricFactory)
    value = Decimal("15")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Product {n}")
    category = "Loans"


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity

    owner = factory.SubFactory(RMFactory)
    kind = ActivityKind.CONVERSATION
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    date = datetime.date(2026, 3, 10)


class OpportunityFactory(DjangoModelFactory):
    class Meta:
        model = Opportunity

    owner = factory.SubFactory(RMFactory)
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    stage = Stage.ENGAGING
    engage_date = datetime.date(2026, 1, 1)
    value = Decimal("10000.00")


class StageChangeFactory(DjangoModelFactory):
    class Meta:
        model = StageChange

    opportunity = factory.SubFactory(OpportunityFactory)
    to_stage = Stage.ENGAGING
    changed_on = datetime.date(2026, 1, 15)


class BalanceSnapshotFactory(DjangoModelFactory):
    class Meta:
        model = BalanceSnapshot

    account = factory.SubFactory(AccountFactory)
    metric = factory.SubFactory(MetricFactory, kind=MetricKind.BALANCE, unit=MetricUnit.MONEY,
                                source=MetricSource.BALANCE, code="loans")  # fmt: skip
    month_end = datetime.date(2026, 1, 31)
    balance = Decimal("100000.00")


class FlowActualFactory(DjangoModelFactory):
    class Meta:
        model = FlowActual

    owner = factory.SubFactory(RMFactory)
    metric = factory.SubFactory(MetricFactory, source=MetricSource.MANUAL, code="manual-flow")
    month = datetime.date(2026, 1, 1)
    value = Decimal("10")


class ForecastFactory(DjangoModelFactory):
    class Meta:
        model = Forecast

    owner = factory.SubFactory(RMFactory)
    metric = factory.SubFactory(MetricFactory)
    month = datetime.date(2026, 1, 1)
    value = Decimal("10")


class PlanActualFactory(DjangoModelFactory):
    class Meta:
        model = PlanActual

    scope = "rm"
    scope_id = 1
    metric = factory.SubFactory(MetricFactory)
    year = 2026
    month = 1
    status = "no_plan"
    computed_at = factory.LazyFunction(lambda: datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC))


class ImportJobFactory(DjangoModelFactory):
    class Meta:
        model = ImportJob

    kind = ImportKind.ACTIVITIES
    created_by = factory.SubFactory(AdminFactory)
    file_name = "activities.csv"
    content = b"owner_email,kind,account,date\n"
