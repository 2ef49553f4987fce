"""Factories for the coaching app."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from coaching.models import (
    DevelopmentGoal,
    Plan,
    PlanComment,
    PlanEvent,
    PlannedActivity,
    PlannedMix,
    PlanRevision,
    PlanSection,
    RelationshipAction,
    RelationshipPlan,
    RelationshipResult,
    SectionKey,
)
from tests.factories.accounts import RMFactory
from tests.factories.kpis import MetricFactory
from tests.factories.targeting import AccountFactory


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan

    owner = factory.SubFactory(RMFactory)
    year = 2026
    due_date = datetime.date(2026, 1, 31)


class PlanSectionFactory(DjangoModelFactory):
    class Meta:
        model = PlanSection
        django_get_or_create = ["plan", "key"]

    plan = factory.SubFactory(PlanFactory)
    key = SectionKey.STRATEGIES
    content = "Call every must-keep client's CFO each quarter."


class PlannedActivityFactory(DjangoModelFactory):
    class Meta:
        model = PlannedActivity

    plan = factory.SubFactory(PlanFactory)
    kind = PlannedActivity.Kind.CONVERSATION
    per_week = Decimal("15")


class PlannedMixFactory(DjangoModelFactory):
    class Meta:
        model = PlannedMix

    plan = factory.SubFactory(PlanFactory)
    category = "Loans"
    share = Decimal("0.40")


class RelationshipPlanFactory(DjangoModelFactory):
    class Meta:
        model = RelationshipPlan

    plan = factory.SubFactory(PlanFactory)
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..plan.owner"), must_keep=True)
    objectives = "Keep the operating account and renew the credit line."


class RelationshipActionFactory(DjangoModelFactory):
    class Meta:
        model = RelationshipAction

    relationship = factory.SubFactory(RelationshipPlanFactory)
    description = "Quarterly review with the CFO"
    due_date = datetime.date(2026, 3, 31)
    owner = factory.SelfAttribute("relationship.plan.owner")


class RelationshipResultFactory(DjangoModelFactory):
    class Meta:
        model = RelationshipResult

    relationship = factory.SubFactory(RelationshipPlanFactory)
    metric = factory.SubFactory(MetricFactory)
    expected_value = Decimal("250000")


class DevelopmentGoalFactory(DjangoModelFactory):
    class Meta:
        model = DevelopmentGoal

    plan = factory.SubFactory(PlanFactory)
    skill = "Speak the CFO's language: ROI, IRR, payback"
    result_description = "Two more proposals a month accepted"


class PlanCommentFactory(DjangoModelFactory):
    class Meta:
        model = PlanComment

    plan = factory.SubFactory(PlanFactory)
    section = SectionKey.STRATEGIES
    author = factory.SelfAttribute("plan.owner.team.leader")
    body = "Which clients first?"
    revision = 1


class PlanRevisionFactory(DjangoModelFactory):
    class Meta:
        model = PlanRevision

    plan = factory.SubFactory(PlanFactory)
    number = 1
    content = factory.LazyFunction(lambda: {"sections": {}})


class PlanEventFactory(DjangoModelFactory):
    class Meta:
        model = PlanEvent

    plan = factory.SubFactory(PlanFactory)
    action = "created"


# --- Checkpoints -------------------------------------------------------------------------------------------

from coaching.models import (  # noqa: E402
    ActionItem,
    Cadence,
    CalendarFeed,
    Checkpoint,
    CheckpointEvent,
    Decision,
    Notification,
    Problem,
    ReminderSent,
    SemiannualReview,
    Surprise,
)

_AT = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)


class CadenceFactory(DjangoModelFactory):
    class Meta:
        model = Cadence

    team = factory.SubFactory("tests.factories.accounts.TeamFactory")


class CheckpointFactory(DjangoModelFactory):
    class Meta:
        model = Checkpoint

    rm = factory.SubFactory(RMFactory)
    leader = factory.SelfAttribute("rm.team.leader")
    kind = "weekly"
    period = factory.Sequence(lambda n: f"f{n}")
    scheduled_at = _AT
    originally_at = _AT


class CheckpointEventFactory(DjangoModelFactory):
    class Meta:
        model = CheckpointEvent

    checkpoint = factory.SubFactory(CheckpointFactory)
    action = "opened"


class ProblemFactory(DjangoModelFactory):
    class Meta:
        model = Problem

    checkpoint = factory.SubFactory(CheckpointFactory)
    description = "Too few first appointments"


class DecisionFactory(DjangoModelFactory):
    class Meta:
        model = Decision

    checkpoint = factory.SubFactory(CheckpointFactory)
    text = "Two prospecting mornings a week"


class ActionItemFactory(DjangoModelFactory):
    class Meta:
        model = ActionItem

    checkpoint = factory.SubFactory(CheckpointFactory)
    rm = factory.SelfAttribute("checkpoint.rm")
    owner = factory.SelfAttribute("checkpoint.rm")
    description = "Call the three must-keep CFOs"
    due_date = datetime.date(2026, 12, 14)


class SurpriseFactory(DjangoModelFactory):
    class Meta:
        model = Surprise

    checkpoint = factory.SubFactory(CheckpointFactory)
    description = "The regional CEO asks for a loan pipeline review by Friday"


class SemiannualReviewFactory(DjangoModelFactory):
    class Meta:
        model = SemiannualReview

    checkpoint = factory.SubFactory(CheckpointFactory, kind="semiannual")


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(RMFactory)
    key = factory.Sequence(lambda n: f"test:{n}")
    title = "Weekly checkpoint tomorrow"


class ReminderSentFactory(DjangoModelFactory):
    class Meta:
        model = ReminderSent

    checkpoint = factory.SubFactory(CheckpointFactory)
    kind = "meeting"
    recipient = factory.SelfAttribute("checkpoint.rm")
    sent_at = _AT


class CalendarFeedFactory(DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    user = factory.SubFactory(RMFactory)
