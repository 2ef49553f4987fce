"""Factories for the targeting app."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from targeting.models import (
    Account,
    AccountStatus,
    Contact,
    ContactLevel,
    ContactLevelRule,
    CriterionKind,
    Industry,
    NamedAccountEntry,
    NamedAccountList,
    PriorityCriterion,
    Segment,
    TeamTargeting,
)
from tests.factories.accounts import RMFactory, TeamFactory


class IndustryFactory(DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Industry {n}")


class SegmentFactory(DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    team = factory.SubFactory(TeamFactory)
    region = None
    value_proposition = "Cash visibility every morning so the CFO can fund growth without overdrafts."


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    legal_name = factory.Sequence(lambda n: f"Company {n} SAS")
    industry = factory.SubFactory(IndustryFactory)
    annual_revenue = Decimal("12000000.00")
    employees = 80
    location = "Paris"
    owner = factory.SubFactory(RMFactory)
    status = AccountStatus.PROSPECT


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    title = "Chief Financial Officer"
    level = ContactLevel.OWNER


class ContactLevelRuleFactory(DjangoModelFactory):
    class Meta:
        model = ContactLevelRule

    industry = None
    employees_min = 0
    employees_max = None
    level = ContactLevel.OWNER


class TeamTargetingFactory(DjangoModelFactory):
    class Meta:
        model = TeamTargeting
        django_get_or_create = ["team"]

    team = factory.SubFactory(TeamFactory)


class PriorityCriterionFactory(DjangoModelFactory):
    class Meta:
        model = PriorityCriterion

    team = factory.SubFactory(TeamFactory)
    kind = CriterionKind.HIGH_VALUE
    points = 40


class NamedAccountListFactory(DjangoModelFactory):
    class Meta:
        model = NamedAccountList

    owner = factory.SubFactory(RMFactory)
    year = 2026


class NamedAccountEntryFactory(DjangoModelFactory):
    class Meta:
        model = NamedAccountEntry

    named_list = factory.SubFactory(NamedAccountListFactory)
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..named_list.owner"))
