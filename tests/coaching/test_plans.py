"""Annual plans: the workflow, edits that never overwrite silently, revisions and the disconnect detector."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coaching.models import PlannedActivity, PlanRevision, PlanStatus, SectionKey
from coaching.selectors.plans import plan_content, plan_disconnects, review_board, revision_diff
from coaching.services import plans as services
from kpis.models import ActivityKind, MetricKind, MetricSource, Stage, StandardPeriod
from tests.factories.coaching import DevelopmentGoalFactory, RelationshipPlanFactory
from tests.factories.kpis import (
    ActivityFactory,
    MetricFactory,
    OpportunityFactory,
    StandardFactory,
    TargetFactory,
)
from tests.factories.targeting import (
    AccountFactory,
    NamedAccountEntryFactory,
    NamedAccountListFactory,
    TeamTargetingFactory,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 24)
NOW = timezone.now()


@pytest.fixture
def plan(org):
    return services.plan_create(owner=org.rm_a1, year=2026, by=org.rm_a1)


def _findings(plan, kind=None):
    found = plan_disconnects(plans=[plan], today=TODAY).get(plan.pk, [])
    return [f for f in found if kind is None or f.kind == kind]


def test_a_new_plan_has_every_section_empty_and_is_a_draft(plan):
    assert plan.status == PlanStatus.DRAFT
    assert sorted(plan.sections.values_list("key", flat=True)) == sorted(SectionKey.values)


def test_only_rms_have_plans(org):
    with pytest.raises(ValidationError, match="written by relationship managers"):
        services.plan_create(owner=org.leader_a1, year=2026, by=org.leader_a1)


def test_the_later_of_two_saves_from_the_same_version_is_refused_and_both_versions_kept(org, plan):
    services.section_save(
        plan=plan, key=SectionKey.STRATEGIES, content="Mine deeply", base_version=0, by=org.rm_a1
    )
    with pytest.raises(services.EditConflict) as conflict:
        services.section_save(plan=plan, key=SectionKey.STRATEGIES, content="Go wide", base_version=0,
                              by=org.leader_a1)  # fmt: skip
    assert (conflict.value.theirs, conflict.value.yours) == ("Mine deeply", "Go wide")
    assert conflict.value.saved_by == org.rm_a1
    assert "saved this section while you were editing it" in str(conflict.value)
    assert plan.sections.get(key=SectionKey.STRATEGIES).content == "Mine deeply"


def test_an_rm_cannot_edit_another_rms_plan(org, plan):
    with pytest.raises(PermissionDenied):
        services.section_save(
            plan=plan, key=SectionKey.STRATEGIES, content="x", base_version=0, by=org.rm_a1_peer
        )


def test_review_workflow_with_changes_requested_then_approval(org, plan):
    plan = services.plan_submit(plan=plan, by=org.rm_a1, now=NOW)
    assert plan.status == PlanStatus.SUBMITTED and plan.is_locked
    with pytest.raises(PermissionDenied):
        services.section_save(plan=plan, key=SectionKey.GOALS_SELF, content="x", base_version=0, by=org.rm_a1)
    with pytest.raises(ValidationError, match="write a comment on at least one section"):
        services.plan_request_changes(plan=plan, by=org.leader_a1, comments={"strategies": "  "})
    plan = services.plan_request_changes(
        plan=plan, by=org.leader_a1, comments={"strategies": "Which clients?"}
    )
    assert plan.status == PlanStatus.CHANGES_REQUESTED
    assert plan.comments.get().body == "Which clients?"
    services.section_save(plan=plan, key=SectionKey.STRATEGIES, content="The 18 named accounts", base_version=0,
                          by=org.rm_a1)  # fmt: skip
    plan = services.plan_submit(plan=plan, by=org.rm_a1, now=NOW)
    plan = services.plan_approve(plan=plan, by=org.leader_a1, now=NOW)
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == org.leader_a1
    revision = PlanRevision.objects.get(plan=plan, number=1)
    assert revision.content["sections"]["strategies"] == "The 18 named accounts"
    assert not plan.comments.filter(resolved=False).exists()


def test_an_rm_cannot_approve_and_another_teams_leader_cannot_review(org, plan):
    plan = services.plan_submit(plan=plan, by=org.rm_a1, now=NOW)
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, by=org.rm_a1, now=NOW)
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, by=org.leader_a2, now=NOW)


def test_a_reset_opens_a_new_revision_and_keeps_the_approved_one(org, plan):
    services.section_save(plan=plan, key=SectionKey.STRATEGIES, content="Line one\nLine two", base_version=0,
                          by=org.rm_a1)  # fmt: skip
    plan = services.plan_approve(
        plan=services.plan_submit(plan=plan, by=org.rm_a1, now=NOW), by=org.leader_a1, now=NOW
    )
    with pytest.raises(ValidationError, match="Say why the plan is reset"):
        services.plan_reset(plan=plan, by=org.leader_a1, reason=" ")
    plan = services.plan_reset(
        plan=plan, by=org.leader_a1, reason="Checkpoint 14 May: lost the Dupont account"
    )
    assert (plan.status, plan.revision) == (PlanStatus.DRAFT, 2)
    services.section_save(plan=plan, key=SectionKey.STRATEGIES, content="Line one\nLine three", base_version=1,
                          by=org.rm_a1)  # fmt: skip
    plan = services.plan_approve(
        plan=services.plan_submit(plan=plan, by=org.rm_a1, now=NOW), by=org.leader_a1, now=NOW
    )
    first, second = PlanRevision.objects.filter(plan=plan).order_by("number")
    assert first.content["sections"]["strategies"] == "Line one\nLine two"
    assert second.reason == "Checkpoint 14 May: lost the Dupont account"
    strategies = next(d for d in revision_diff(first.content, second.content) if d.title == "Strategies")
    assert strategies.lines == [(" ", "Line one"), ("-", "Line two"), ("+", "Line three")]
    assert not next(
        d for d in revision_diff(first.content, second.content) if d.title == "Product mix"
    ).changed


def _history(rm, conversations=100, appointments=10, first=8, proposals=4, won=3, lost=3):
    account = AccountFactory(owner=rm)
    day = datetime.date(2026, 6, 1)
    ActivityFactory.create_batch(conversations, owner=rm, account=account, date=day)
    ActivityFactory.create_batch(first, owner=rm, account=account, date=day, kind=ActivityKind.APPOINTMENT,
                                 is_first_appointment=True)  # fmt: skip
    ActivityFactory.create_batch(appointments - first, owner=rm, account=account, date=day,
                                 kind=ActivityKind.APPOINTMENT)  # fmt: skip
    ActivityFactory.create_batch(proposals, owner=rm, account=account, date=day, kind=ActivityKind.PROPOSAL)
    OpportunityFactory.create_batch(
        won, owner=rm, account=account, stage=Stage.WON, close_date=day, value=D("10000")
    )
    OpportunityFactory.create_batch(lost, owner=rm, account=account, stage=Stage.LOST, close_date=day)


def test_activity_plan_that_cannot_reach_the_goal_is_flagged_with_the_rms_own_ratios(org, plan):
    # history: 100 conversations → 10 appointments (8 first) → 4 proposals → 3 won of 6 closed, 10,000 a sale
    _history(org.rm_a1)
    plan.goal_new_clients = (
        10  # 10 wins ÷ 0.5 = 20 proposals ÷ 0.5 = 40 first ÷ 0.8 = 50 appts ÷ 0.1 = 500 conv
    )
    plan.save()
    PlannedActivity.objects.create(plan=plan, kind="conversation", per_week=D("5"))
    [finding] = _findings(plan, "activity_short")
    # 500 conversations over 46 weeks = 10.9 a week, planned 5; the other levels are not planned at all
    assert finding.message.startswith(
        "Reaching 10 wins takes, with your own ratios of the last twelve months"
    )
    assert "about 10.9 conversations a week where the plan has 5;" in finding.message
    assert "0.4 proposals a week where the plan has none" in finding.message
    assert finding.anchor == "numbers"


def test_team_ratios_are_used_when_the_rm_has_too_little_history(org, plan):
    _history(org.rm_a1_peer, conversations=200, appointments=20, first=16, proposals=8, won=4, lost=4)
    _history(org.rm_a1, conversations=3, appointments=1, first=1, proposals=1, won=1, lost=0)
    plan.goal_new_clients = 4
    plan.save()
    assert "with your team's ratios" in _findings(plan, "activity_short")[0].message


def test_enough_planned_activity_gives_no_activity_finding(org, plan):
    _history(org.rm_a1)
    plan.goal_new_clients = 10
    plan.save()
    for kind, value in {"conversation": 11, "appointment": 2, "first_appointment": 1, "proposal": 1}.items():
        PlannedActivity.objects.create(plan=plan, kind=kind, per_week=D(value))
    assert _findings(plan, "activity_short") == []


def test_must_keep_client_without_relationship_plan_and_stale_relationship_plan(org, plan):
    kept = AccountFactory(owner=org.rm_a1, must_keep=True, legal_name="Dupont SAS")
    rel = RelationshipPlanFactory(
        plan=plan, account=AccountFactory(owner=org.rm_a1, legal_name="Old Friend SA")
    )
    rel.account.must_keep = False
    rel.account.save()
    messages = [f.message for f in _findings(plan)]
    assert "Dupont SAS is a must-keep or must-expand client with no relationship plan." in messages
    assert any("Old Friend SA is no longer designated" in m for m in messages)
    RelationshipPlanFactory(plan=plan, account=kept)
    assert not _findings(plan, "relationship_missing")


def test_named_list_over_the_limit_or_with_accounts_of_others(org, plan):
    TeamTargetingFactory(team=org.team_a1, named_account_limit=1)
    named = NamedAccountListFactory(owner=org.rm_a1, year=2026)
    NamedAccountEntryFactory.create_batch(2, named_list=named)
    entry = NamedAccountEntryFactory(named_list=named)
    entry.account.owner = org.rm_a1_peer
    entry.account.save()
    kinds = {f.kind for f in _findings(plan)}
    assert {"named_over_limit", "named_not_owned"} <= kinds


def test_development_goal_tied_to_no_result(org, plan):
    DevelopmentGoalFactory(plan=plan, result_description="", result_metric=None)
    [finding] = _findings(plan, "development_untied")
    assert finding.anchor == "development"


def test_flow_target_short_of_an_even_share_of_the_team_target(org, plan):
    won = MetricFactory(code="won-test", kind=MetricKind.FLOW, source=MetricSource.WON_REVENUE)
    TargetFactory(user=None, team=org.team_a1, metric=won, value=D("1000"))
    TargetFactory(user=org.rm_a1, metric=won, value=D("400"))  # even share: 1000 / 2 RMs = 500
    [finding] = _findings(plan, "target_short")
    assert "(400) is below your share of the team's (500)" in finding.message


def test_balance_target_share_follows_the_rms_part_of_the_team_baseline(org, plan):
    loans = MetricFactory(code="loans-test", kind=MetricKind.BALANCE, source=MetricSource.BALANCE)
    TargetFactory(user=None, team=org.team_a1, metric=loans, value=D("1000"), baseline=D("800"))
    target = TargetFactory(user=org.rm_a1, metric=loans, value=D("400"), baseline=D("300"))
    assert _findings(plan, "target_short") == []  # share: 1000 × 300 / 800 = 375, and 400 ≥ 375
    target.baseline = D("400")  # share: 1000 × 400 / 800 = 500
    target.save()
    [finding] = _findings(plan, "target_short")
    assert "(400) is below your share of the team's (500)" in finding.message


def test_product_mix_outside_the_team_standard(org, plan):
    mix = MetricFactory(code="mix-test", kind=MetricKind.RATIO, source=MetricSource.PRODUCT_MIX,
                        product_category="Loans", tolerance_off_track=D("0.15"))  # fmt: skip
    StandardFactory(team=org.team_a1, metric=mix, value=D("0.40"), period=StandardPeriod.RATIO)
    plan.planned_mix.create(category="Loans", share=D("0.20"))
    [finding] = _findings(plan, "mix_outside")
    assert finding.message == "Planned Loans share 20% is outside the team standard of 40% (± 15%)."
    plan.planned_mix.update(share=D("0.45"))
    assert _findings(plan, "mix_outside") == []


def test_review_board_groups_plans_by_status_with_overdue_and_findings(org, plan):
    services.plan_submit(plan=plan, by=org.rm_a1, now=NOW)
    board = review_board(viewer=org.leader_a1, year=2026, today=TODAY)
    assert [row.owner for row in board["submitted"]] == [org.rm_a1]
    assert [row.owner for row in board["not_started"]] == [org.rm_a1_peer]
    assert board["not_started"][0].overdue  # due 31 January, not even started
    assert not board["submitted"][0].overdue
    assert board["submitted"][0].findings  # no goal in figures
    assert org.rm_a2 not in [row.owner for rows in board.values() for row in rows]


def test_review_board_query_count_does_not_grow(org, django_assert_num_queries):
    from tests.factories.accounts import RMFactory

    def grow(n):
        for _ in range(n):
            rm = RMFactory(team=org.team_a1)
            p = services.plan_create(owner=rm, year=2026, by=rm)
            p.goal_new_clients = 5
            p.save()
            PlannedActivity.objects.create(plan=p, kind="conversation", per_week=D("12"))
            p.planned_mix.create(category="Loans", share=D("0.3"))
            RelationshipPlanFactory(plan=p)
            DevelopmentGoalFactory(plan=p)

    # RMs, plans, planned mix (prefetch), the funnel (the teams' people; then activities, deals and owners
    # for them, the teams' counts added up from their people's), planned activities, designated accounts,
    # relationship plans, untied goals, named lists, RM targets, team targets, team sizes, mix standards: 16
    from accounts.models import User

    viewer = User.objects.with_roles().get(pk=org.leader_a1.pk)  # as the login backend loads request.user
    grow(3)
    with django_assert_num_queries(16):
        review_board(viewer=viewer, year=2026, today=TODAY)
    grow(12)
    with django_assert_num_queries(16):
        review_board(viewer=viewer, year=2026, today=TODAY)


def test_plan_content_is_plain_data(org, plan):
    content = plan_content(plan=plan)
    assert set(content) >= {
        "sections",
        "segments",
        "activity_per_week",
        "product_mix",
        "relationships",
        "development",
    }
