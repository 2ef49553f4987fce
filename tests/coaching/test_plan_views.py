"""The plan pages an RM writes: who may see and change them, autosave that never overwrites silently, the
numbers form, relationship and development plans, the disconnect panel, submission and printing."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from coaching.models import (
    Plan,
    PlannedActivity,
    PlanStatus,
    RelationshipAction,
    RelationshipPlan,
    SectionKey,
)
from coaching.services import plans as services
from kpis.models import ActivityKind, Stage
from targeting.models import NamedAccountList
from tests.factories.accounts import RMFactory
from tests.factories.coaching import (
    DevelopmentGoalFactory,
    RelationshipActionFactory,
    RelationshipPlanFactory,
    RelationshipResultFactory,
)
from tests.factories.kpis import (
    ActivityFactory,
    MetricFactory,
    OpportunityFactory,
    ProductFactory,
    TargetFactory,
)
from tests.factories.targeting import (
    AccountFactory,
    NamedAccountEntryFactory,
    NamedAccountListFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
YEAR = timezone.localdate().year


@pytest.fixture
def plan(org):
    return services.plan_create(owner=org.rm_a1, year=YEAR, by=org.rm_a1)


def _as(client, user):
    client.force_login(user)
    return client


def _version_in(page: str, key: str) -> int:
    match = re.search(rf'id="version-{key}" value="(\d+)"', page)
    assert match, f"no version input for {key}"
    return int(match.group(1))


def _numbers(**values) -> dict:
    data = {"numbers-version": "0"}
    data.update({f"numbers-{name}": value for name, value in values.items()})
    return data


# --- Access: who sees and changes a plan ----------------------------------------------------------------

# rm_a1 owns the plan. Visible (and changeable while a draft) to them, their leader, their director and the
# admin; everyone else gets 404, as if the plan did not exist.
SEES = {
    "rm_a1": True,
    "rm_a1_peer": False,
    "rm_b1": False,
    "leader_a1": True,
    "leader_a2": False,
    "leader_b1": False,
    "director_a": True,
    "director_b": False,
    "admin": True,
}


@pytest.fixture
def parts(org, plan):
    """One of each part of the plan, for the views that act on them."""
    rel = RelationshipPlanFactory(plan=plan)
    return {
        "rel": rel,
        "action": RelationshipActionFactory(relationship=rel),
        "result": RelationshipResultFactory(relationship=rel),
        "goal": DevelopmentGoalFactory(plan=plan),
        "account": AccountFactory(owner=org.rm_a1, must_expand=True),
        "metric": MetricFactory(),
    }


def _requests(plan, parts):
    """(name, method, url, data, expected status when allowed) for every view of a plan."""
    rel, action, result, goal = parts["rel"], parts["action"], parts["result"], parts["goal"]
    return [
        ("detail", "get", reverse("coaching:plan-detail", args=[plan.pk]), None, 200),
        ("print", "get", reverse("coaching:plan-print", args=[plan.pk]), None, 200),
        ("findings", "get", reverse("coaching:plan-findings", args=[plan.pk]), None, 200),
        ("section", "post", reverse("coaching:plan-section-save", args=[plan.pk, "strategies"]),
         {"content": "Mine deeply", "version": "0"}, 200),
        ("numbers", "post", reverse("coaching:plan-numbers-save", args=[plan.pk]),
         _numbers(goal_new_clients="4"), 200),
        ("relationship-create", "post", reverse("coaching:plan-relationship-create", args=[plan.pk]),
         {"rel-new-account": parts["account"].pk}, 302),
        ("relationship-save", "post", reverse("coaching:plan-relationship-save", args=[rel.pk]),
         {f"rel-{rel.pk}-objectives": "Keep them", f"rel-{rel.pk}-version": "0"}, 200),
        ("action-add", "post", reverse("coaching:plan-action-add", args=[rel.pk]),
         {f"action-{rel.pk}-description": "Lunch with the CFO", f"action-{rel.pk}-due_date": f"{YEAR}-03-01",
          f"action-{rel.pk}-owner": plan.owner_id}, 302),
        ("result-add", "post", reverse("coaching:plan-result-add", args=[rel.pk]),
         {f"result-{rel.pk}-metric": parts["metric"].pk, f"result-{rel.pk}-expected_value": "1000"}, 302),
        ("development-add", "post", reverse("coaching:plan-development-add", args=[plan.pk]),
         {"goal-skill": "Negotiation", "goal-result_description": "Better margins"}, 302),
        ("action-delete-page", "get", reverse("coaching:plan-action-delete", args=[action.pk]), None, 200),
        ("action-delete", "post", reverse("coaching:plan-action-delete", args=[action.pk]), {}, 302),
        ("result-delete", "post", reverse("coaching:plan-result-delete", args=[result.pk]), {}, 302),
        ("development-delete", "post", reverse("coaching:plan-development-delete", args=[goal.pk]), {}, 302),
        ("relationship-delete", "post", reverse("coaching:plan-relationship-delete", args=[rel.pk]), {}, 302),
    ]  # fmt: skip


@pytest.mark.parametrize("who", list(SEES))
def test_every_plan_view_answers_404_to_who_may_not_see_the_plan(client, org, plan, parts, who):
    _as(client, getattr(org, who))
    for name, method, url, data, allowed in _requests(plan, parts):
        response = getattr(client, method)(url, data, **HTMX) if method == "post" else client.get(url)
        expected = allowed if SEES[who] else 404
        assert response.status_code == expected, f"{who} on {name}: {response.status_code}"
    if SEES[who]:
        plan.refresh_from_db()
        assert plan.goal_new_clients == 4
        assert not RelationshipPlan.objects.filter(plan=plan, pk=parts["rel"].pk).exists()


@pytest.mark.parametrize(("who", "expected"), [("rm_a1", 200), ("leader_a1", 403), ("director_a", 403),
                                                ("admin", 403), ("rm_a1_peer", 404), ("leader_b1", 404)])  # fmt: skip
def test_only_the_owner_submits_the_plan(client, org, plan, who, expected):
    _as(client, getattr(org, who))
    assert client.get(reverse("coaching:plan-submit", args=[plan.pk])).status_code == expected
    response = client.post(reverse("coaching:plan-submit", args=[plan.pk]))
    assert response.status_code == (302 if expected == 200 else expected)
    plan.refresh_from_db()
    assert plan.status == (PlanStatus.SUBMITTED if expected == 200 else PlanStatus.DRAFT)


def test_a_locked_plan_refuses_saves_with_403(client, org, plan):
    services.plan_submit(plan=plan, by=org.rm_a1, now=timezone.now())
    for user in (org.rm_a1, org.leader_a1):
        _as(client, user)
        url = reverse("coaching:plan-section-save", args=[plan.pk, "strategies"])
        assert client.post(url, {"content": "x", "version": "0"}, **HTMX).status_code == 403
        url = reverse("coaching:plan-numbers-save", args=[plan.pk])
        assert client.post(url, _numbers(goal_new_clients="9"), **HTMX).status_code == 403
        url = reverse("coaching:plan-development-add", args=[plan.pk])
        assert client.post(url, {"goal-skill": "x"}).status_code == 403
    plan.refresh_from_db()
    assert plan.goal_new_clients is None
    assert plan.sections.get(key="strategies").content == ""


def test_plan_list_shows_each_viewer_the_plans_they_may_see(client, org):
    for rm in (org.rm_a1, org.rm_a1_peer, org.rm_a2, org.rm_b1):
        services.plan_create(owner=rm, year=YEAR, by=rm)
    expectations = {
        "rm_a1": {"RM A1"},
        "leader_a1": {"RM A1", "RM A1 peer"},
        "director_a": {"RM A1", "RM A1 peer", "RM A2"},
        "admin": {"RM A1", "RM A1 peer", "RM A2", "RM B1"},
    }
    for who, names in expectations.items():
        response = _as(client, getattr(org, who)).get(reverse("coaching:plan-list"))
        owners = {p.owner.display_name for p in response.context.get("page_obj") or []}
        owners |= {p.owner.display_name for p in response.context.get("own_plans") or []}
        assert owners == names, who


def test_plan_list_filters_by_status_and_links_to_the_review_board(leader_client, org):
    draft = services.plan_create(owner=org.rm_a1, year=YEAR, by=org.rm_a1)
    submitted = services.plan_create(owner=org.rm_a1_peer, year=YEAR, by=org.rm_a1_peer)
    services.plan_submit(plan=submitted, by=org.rm_a1_peer, now=timezone.now())
    response = leader_client.get(reverse("coaching:plan-list"), {"status": "submitted"})
    assert list(response.context["page_obj"]) == [Plan.objects.get(pk=submitted.pk)]
    assert draft not in list(response.context["page_obj"])
    assert response.context["review_board_url"] == reverse("coaching:review-board")


def test_an_rm_opens_their_plan_for_this_year_once(rm_client, org):
    page = rm_client.get(reverse("coaching:plan-list")).content.decode()
    assert f"Open my plan for {YEAR}" in page
    response = rm_client.post(reverse("coaching:plan-create"), {"year": YEAR})
    plan = Plan.objects.get(owner=org.rm_a1, year=YEAR)
    assert response["Location"] == plan.get_absolute_url()
    rm_client.post(reverse("coaching:plan-create"), {"year": YEAR})
    assert Plan.objects.filter(owner=org.rm_a1).count() == 1
    assert plan.sections.count() == len(SectionKey.values)


def test_a_leader_cannot_open_a_plan_for_themself(leader_client, org):
    response = leader_client.post(reverse("coaching:plan-create"), {"year": YEAR}, follow=True)
    assert "Annual plans are written by relationship managers." in response.content.decode()
    assert not Plan.objects.filter(owner=org.leader_a1).exists()


# --- The page, in the plan's order --------------------------------------------------------------------


def test_the_plan_page_reads_goals_first_then_strategies_measures_territory_relationships_development(
    rm_client, plan
):
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    anchors = ['id="section-goals_self"', 'id="section-goals_business"', 'id="section-goals_pay"',
               'id="section-goals_market"', 'id="section-strategies"', 'id="section-measures"', 'id="numbers"',
               'id="targets"', 'id="territory"', 'id="section-territory"', 'id="section-resources"',
               'id="relationships"', 'id="development"']  # fmt: skip
    positions = [page.index(anchor) for anchor in anchors]
    assert positions == sorted(positions)
    assert 'data-testid="plan-review-panel"' in page  # the reviewer's panel is at the top
    assert page.index('data-testid="plan-review-panel"') < positions[0]


def test_the_territory_part_shows_targets_and_the_named_list_of_the_year(rm_client, org, plan):
    TargetFactory(user=org.rm_a1, year=YEAR, metric=MetricFactory(name="New clients won"), value=D("12"))
    TargetFactory(user=org.rm_a1, year=YEAR - 1, metric=MetricFactory(name="Last year's metric"))
    named = NamedAccountListFactory(owner=org.rm_a1, year=YEAR)
    NamedAccountEntryFactory(
        named_list=named, account=AccountFactory(owner=org.rm_a1, legal_name="Dupont SAS")
    )
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    targets = page[page.index('id="targets"') : page.index('id="territory"')]
    assert "New clients won" in targets and "Last year's metric" not in targets
    assert reverse("targeting:named-list-detail", args=[named.pk]) in page
    assert "1 of 25 named accounts" in page and "Dupont SAS" in page


def test_the_leaders_comments_show_next_to_the_part_they_are_about(rm_client, org, plan):
    plan = services.plan_submit(plan=plan, by=org.rm_a1, now=timezone.now())
    services.plan_request_changes(plan=plan, by=org.leader_a1, comments={
        "strategies": "Which clients first?", "numbers": "Twelve new clients is not enough.",
    })  # fmt: skip
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    strategies = page[page.index('id="section-strategies"') : page.index('id="section-measures"')]
    assert "Leader A1 asks:</strong> Which clients first?" in strategies
    numbers = page[page.index('id="numbers"') : page.index('id="targets"')]
    assert "Leader A1 asks:</strong> Twelve new clients is not enough." in numbers
    assert "<textarea" in strategies  # changes requested: the RM edits again


# --- Autosave of the written sections -------------------------------------------------------------------


def test_a_section_autosave_returns_the_new_version_and_saved_state(rm_client, plan):
    url = reverse("coaching:plan-section-save", args=[plan.pk, "goals_self"])
    response = rm_client.post(url, {"content": "Become the reference for family businesses", "version": "0"},
                              **HTMX)  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200
    assert _version_in(page, "goals_self") == 1
    assert "Saved at" in page
    assert plan.sections.get(key="goals_self").content == "Become the reference for family businesses"
    response = rm_client.post(url, {"content": "Become the reference", "version": "1"}, **HTMX)
    assert _version_in(response.content.decode(), "goals_self") == 2


def test_browser_line_endings_are_saved_as_plain_newlines(rm_client, plan):
    url = reverse("coaching:plan-section-save", args=[plan.pk, "strategies"])
    rm_client.post(url, {"content": "One\r\nTwo", "version": "0"}, **HTMX)
    assert plan.sections.get(key="strategies").content == "One\nTwo"


def test_a_stale_save_gets_409_with_both_versions_and_overwrites_nothing(client, org, plan):
    url = reverse("coaching:plan-section-save", args=[plan.pk, "strategies"])
    _as(client, org.leader_a1).post(url, {"content": "Theirs: focus on the 18 named accounts", "version": "0"},
                                    **HTMX)  # fmt: skip
    response = _as(client, org.rm_a1).post(url, {"content": "Mine: go wide", "version": "0"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Leader A1 saved this section while you were editing it." in page
    assert "Theirs: focus on the 18 named accounts" in page
    assert "Mine: go wide</textarea>" in page  # yours, in a textarea: nothing lost
    assert 'name="version" value="1"' in page  # keeping the merge saves on their version
    assert response["HX-Retarget"] == "#section-strategies"
    assert plan.sections.get(key="strategies").content == "Theirs: focus on the 18 named accounts"
    # Keeping the merged text saves it over theirs.
    response = client.post(
        url, {"content": "Merged: named accounts first, then wide", "version": "1"}, **HTMX
    )
    assert response.status_code == 200
    assert plan.sections.get(key="strategies").content == "Merged: named accounts first, then wide"


def test_a_stale_save_without_htmx_shows_the_conflict_on_the_whole_page(rm_client, org, plan):
    services.section_save(plan=plan, key="measures", content="Theirs", base_version=0, by=org.leader_a1)
    url = reverse("coaching:plan-section-save", args=[plan.pk, "measures"])
    response = rm_client.post(url, {"content": "Yours", "version": "0"})
    page = response.content.decode()
    assert response.status_code == 409
    assert 'data-testid="conflict"' in page and "Theirs" in page and "Yours</textarea>" in page
    assert 'id="section-goals_self"' in page  # the rest of the plan is still there


def test_saving_in_another_window_is_told_as_such(rm_client, org, plan):
    url = reverse("coaching:plan-section-save", args=[plan.pk, "strategies"])
    rm_client.post(url, {"content": "First window", "version": "0"}, **HTMX)
    page = rm_client.post(url, {"content": "Second window", "version": "0"}, **HTMX).content.decode()
    assert "You (in another window) saved this section" in page


def test_an_unknown_section_is_404(rm_client, plan):
    url = reverse("coaching:plan-section-save", args=[plan.pk, "nonsense"])
    assert rm_client.post(url, {"content": "x", "version": "0"}, **HTMX).status_code == 404


# --- The numbers -------------------------------------------------------------------------------------


def test_the_numbers_form_saves_goals_segments_activity_levels_and_mix(rm_client, org, plan):
    ProductFactory(name="Credit line", category="Loans")
    ProductFactory(name="Sweep account", category="Cash management")
    segment = SegmentFactory(team=org.team_a1, name="Family businesses")
    SegmentFactory(team=org.team_b1, name="Not mine")
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    assert "Family businesses" in page and "Not mine" not in page
    data = _numbers(goal_new_clients="8", goal_won_revenue="250000", segments=[segment.pk],
                    activity_conversation="15", activity_first_appointment="2", activity_appointment="3",
                    activity_proposal="1.5", mix_loans="40", **{"mix_cash-management": "35"})  # fmt: skip
    response = rm_client.post(reverse("coaching:plan-numbers-save", args=[plan.pk]), data, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "plan-changed"  # the disconnect panel refreshes itself
    assert "Saved at" in response.content.decode()
    plan.refresh_from_db()
    assert (plan.goal_new_clients, plan.goal_won_revenue, plan.numbers_version) == (8, D("250000"), 1)
    assert list(plan.segments.all()) == [segment]
    levels = dict(plan.planned_activities.values_list("kind", "per_week"))
    assert levels == {
        "conversation": D("15"),
        "first_appointment": D("2"),
        "appointment": D("3"),
        "proposal": D("1.5"),
    }
    assert dict(plan.planned_mix.values_list("category", "share")) == {
        "Loans": D("0.4"),
        "Cash management": D("0.35"),
    }
    # The form shows the saved figures back, the mix in percent.
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    assert 'name="numbers-mix_loans" value="40"' in page
    assert 'name="numbers-version" value="1"' in page


def test_a_product_mix_over_100_percent_is_refused_with_a_message(rm_client, plan):
    ProductFactory(name="Credit line", category="Loans")
    ProductFactory(name="Deposit", category="Deposits")
    data = _numbers(goal_new_clients="8", mix_loans="70", mix_deposits="45")
    response = rm_client.post(reverse("coaching:plan-numbers-save", args=[plan.pk]), data, **HTMX)
    page = response.content.decode()
    assert response.status_code == 400
    assert "The product mix adds up to 115%: it cannot be more than 100%." in page
    assert 'value="70"' in page and 'value="8"' in page  # the input is kept
    plan.refresh_from_db()
    assert plan.goal_new_clients is None and not plan.planned_mix.exists()


def test_a_stale_numbers_save_gets_409_showing_theirs_and_keeping_yours(rm_client, org, plan):
    services.numbers_save(plan=plan, base_version=0, by=org.leader_a1, goal_new_clients=12, goal_won_revenue=None,
                          segments=[], activity_levels={}, mix={})  # fmt: skip
    data = _numbers(goal_new_clients="5")
    response = rm_client.post(reverse("coaching:plan-numbers-save", args=[plan.pk]), data, **HTMX)
    page = response.content.decode()
    assert response.status_code == 409
    assert "saved the figures while you were editing them" in page
    theirs = page[page.index('data-testid="conflict-theirs"') : page.index("<form")]
    assert 'data-testid="goal-new-clients">12<' in theirs
    assert 'name="numbers-goal_new_clients" value="5"' in page
    assert 'name="numbers-version" value="1"' in page  # saving again keeps yours, knowingly
    plan.refresh_from_db()
    assert plan.goal_new_clients == 12


# --- Relationship plans -----------------------------------------------------------------------------


def test_a_relationship_plan_is_created_for_a_must_keep_account_with_actions_and_results(
    rm_client, org, plan
):
    kept = AccountFactory(owner=org.rm_a1, must_keep=True, legal_name="Dupont SAS")
    AccountFactory(owner=org.rm_a1, legal_name="Ordinary SARL")
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    uncovered = page[page.index('data-testid="uncovered"') :]
    assert "Dupont SAS" in uncovered and "Ordinary SARL" not in page
    response = rm_client.post(
        reverse("coaching:plan-relationship-create", args=[plan.pk]), {"rel-new-account": kept.pk}
    )
    rel = RelationshipPlan.objects.get(plan=plan, account=kept)
    assert response["Location"] == f"{plan.get_absolute_url()}#relationship-{rel.pk}"

    loans = MetricFactory(name="Loans outstanding")
    rm_client.post(reverse("coaching:plan-action-add", args=[rel.pk]), {
        f"action-{rel.pk}-description": "Quarterly review with the CFO", f"action-{rel.pk}-due_date": f"{YEAR}-03-31",
        f"action-{rel.pk}-owner": org.leader_a1.pk,
    })  # fmt: skip
    rm_client.post(reverse("coaching:plan-result-add", args=[rel.pk]),
                   {f"result-{rel.pk}-metric": loans.pk, f"result-{rel.pk}-expected_value": "2500000"})  # fmt: skip
    action = rel.actions.get()
    assert (action.description, action.owner, action.due_date) == (
        "Quarterly review with the CFO",
        org.leader_a1,
        datetime.date(YEAR, 3, 31),
    )
    assert rel.results.get().expected_value == D("2500000")
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    card = page[page.index(f'id="relationship-{rel.pk}"') :]
    assert "Quarterly review with the CFO" in card and "Loans outstanding" in card
    assert 'data-testid="uncovered"' not in page


def test_an_action_is_owned_by_the_rm_or_their_leader_only(rm_client, org, plan):
    rel = RelationshipPlanFactory(plan=plan)
    response = rm_client.post(reverse("coaching:plan-action-add", args=[rel.pk]), {
        f"action-{rel.pk}-description": "Call", f"action-{rel.pk}-due_date": f"{YEAR}-03-31",
        f"action-{rel.pk}-owner": org.rm_a1_peer.pk,
    })  # fmt: skip
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert 'value="Call"' in response.content.decode()  # the input is kept
    assert not RelationshipAction.objects.exists()


def test_relationship_texts_autosave_and_a_stale_save_shows_both_versions(client, org, plan):
    rel = RelationshipPlanFactory(plan=plan, objectives="")
    url = reverse("coaching:plan-relationship-save", args=[rel.pk])
    data = {f"rel-{rel.pk}-objectives": "Renew the credit line", f"rel-{rel.pk}-resources": "A credit analyst",
            f"rel-{rel.pk}-expected_results": "", f"rel-{rel.pk}-version": "0"}  # fmt: skip
    response = _as(client, org.rm_a1).post(url, data, **HTMX)
    assert response.status_code == 200 and "Saved at" in response.content.decode()
    assert f'id="rel-version-{rel.pk}" value="1"' in response.content.decode()
    data[f"rel-{rel.pk}-objectives"] = "Win the payroll too"
    response = _as(client, org.leader_a1).post(url, data, **HTMX)  # still based on version 0
    page = response.content.decode()
    assert response.status_code == 409
    assert "saved this relationship plan while you were editing it" in page
    assert "Renew the credit line" in page and "Win the payroll too</textarea>" in page
    rel.refresh_from_db()
    assert rel.objectives == "Renew the credit line"


# --- The development plan ----------------------------------------------------------------------------


def test_a_development_goal_is_added_tied_to_a_metric(rm_client, plan):
    metric = MetricFactory(name="Closing ratio")
    response = rm_client.post(reverse("coaching:plan-development-add", args=[plan.pk]), {
        "goal-skill": "Speak the CFO's language", "goal-actions": "IRR and payback workshop",
        "goal-result_metric": metric.pk,
    })  # fmt: skip
    assert response["Location"] == f"{plan.get_absolute_url()}#development"
    goal = plan.development_goals.get()
    assert (goal.skill, goal.result_metric) == ("Speak the CFO's language", metric)
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    assert "Speak the CFO&#x27;s language" in page and "Closing ratio" in page


def test_a_development_goal_without_a_skill_is_refused_and_keeps_the_input(rm_client, plan):
    response = rm_client.post(reverse("coaching:plan-development-add", args=[plan.pk]),
                              {"goal-skill": "", "goal-actions": "Read two books"})  # fmt: skip
    assert response.status_code == 400
    assert "Read two books</textarea>" in response.content.decode()


def test_deleting_asks_first(rm_client, plan):
    goal = DevelopmentGoalFactory(plan=plan, skill="Cold calling")
    url = reverse("coaching:plan-development-delete", args=[goal.pk])
    page = rm_client.get(url).content.decode()
    assert "Delete the development goal “Cold calling”?" in page
    assert plan.development_goals.exists()
    rm_client.post(url)
    assert not plan.development_goals.exists()


# --- The disconnect panel -------------------------------------------------------------------------------


def test_the_findings_panel_links_each_finding_to_the_part_to_fix(rm_client, org, plan):
    AccountFactory(owner=org.rm_a1, must_keep=True, legal_name="Dupont SAS")
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    panel = page[page.index('id="findings"') :]
    assert (
        f'<a href="{plan.get_absolute_url()}#relationships" class="link-body-emphasis">Dupont SAS is a must-keep or '
        "must-expand client with no relationship plan.</a>"
    ) in panel
    assert f'href="{plan.get_absolute_url()}#numbers"' in panel  # no goal in figures yet


def _history(rm, day):
    """Twelve months of funnel: 100 conversations → 10 appointments (8 first) → 4 proposals → 3 won of 6."""
    account = AccountFactory(owner=rm)
    ActivityFactory.create_batch(100, owner=rm, account=account, date=day)
    ActivityFactory.create_batch(8, owner=rm, account=account, date=day, kind=ActivityKind.APPOINTMENT,
                                 is_first_appointment=True)  # fmt: skip
    ActivityFactory.create_batch(2, owner=rm, account=account, date=day, kind=ActivityKind.APPOINTMENT)
    ActivityFactory.create_batch(4, owner=rm, account=account, date=day, kind=ActivityKind.PROPOSAL)
    OpportunityFactory.create_batch(3, owner=rm, account=account, stage=Stage.WON, close_date=day)
    OpportunityFactory.create_batch(3, owner=rm, account=account, stage=Stage.LOST, close_date=day)


def test_the_findings_panel_says_so_when_nothing_is_disconnected(rm_client, org, plan):
    _history(org.rm_a1, timezone.localdate() - datetime.timedelta(days=30))
    plan.goal_new_clients = 10  # 10 wins take 500 conversations a year: 10.9 a week (see test_plans)
    plan.save()
    for kind, value in {"conversation": 11, "appointment": 2, "first_appointment": 1, "proposal": 1}.items():
        PlannedActivity.objects.create(plan=plan, kind=kind, per_week=D(value))
    page = rm_client.get(reverse("coaching:plan-findings", args=[plan.pk])).content.decode()
    assert "No disconnects found" in page
    PlannedActivity.objects.filter(plan=plan, kind="conversation").update(per_week=D("5"))
    page = rm_client.get(reverse("coaching:plan-findings", args=[plan.pk])).content.decode()
    assert "No disconnects found" not in page
    assert "10.9 conversations a week where the plan has 5" in page


# --- Submission, locked pages and printing -------------------------------------------------------------


def test_submitting_confirms_the_open_findings_then_locks_the_plan(rm_client, org, plan):
    AccountFactory(owner=org.rm_a1, must_keep=True, legal_name="Dupont SAS")
    page = rm_client.get(reverse("coaching:plan-submit", args=[plan.pk])).content.decode()
    assert "Your plan still has 2 disconnects" in page
    assert "Dupont SAS is a must-keep or must-expand client with no relationship plan." in page
    assert "Submit anyway" in page
    response = rm_client.post(reverse("coaching:plan-submit", args=[plan.pk]), follow=True)
    page = response.content.decode()
    assert "Your plan has been submitted to Leader A1." in page
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    assert "waiting for your leader" in page
    assert "<textarea" not in page and "data-autosave" not in page and "<form" not in _main(page)


def _main(page: str) -> str:
    """The plan itself, without the navigation (its log-out form) and the review panel."""
    return page[page.index('id="goals"') : page.index("</main>")]


def test_an_approved_plan_reads_only_and_says_how_to_change_it(rm_client, org, plan):
    services.section_save(
        plan=plan, key="strategies", content="Named accounts first", base_version=0, by=org.rm_a1
    )
    plan = services.plan_submit(plan=plan, by=org.rm_a1, now=timezone.now())
    services.plan_approve(plan=plan, by=org.leader_a1, now=timezone.now())
    page = rm_client.get(plan.get_absolute_url()).content.decode()
    assert "Approved: changes go through a plan reset with your leader." in page
    assert "Named accounts first" in page
    assert "<form" not in _main(page)


def test_the_print_page_has_every_part_of_the_plan(rm_client, org, plan):
    for key in SectionKey.values:
        services.section_save(plan=plan, key=key, content=f"Text of {key}", base_version=0, by=org.rm_a1)
    rel = RelationshipPlanFactory(plan=plan, objectives="Renew the credit line")
    RelationshipActionFactory(relationship=rel, description="Quarterly review")
    DevelopmentGoalFactory(plan=plan, skill="Negotiation")
    plan.goal_new_clients = 7
    plan.save()
    page = rm_client.get(reverse("coaching:plan-print", args=[plan.pk])).content.decode()
    for key in SectionKey.values:
        assert f"Text of {key}" in page
    for text in ("Renew the credit line", "Quarterly review", "Negotiation", "Draft", "revision 1"):
        assert text in page
    assert 'data-testid="goal-new-clients">7<' in page
    assert "navbar" not in page


# --- Query budget ---------------------------------------------------------------------------------------


def _grow(plan, n):
    metric = MetricFactory()
    named, _created = NamedAccountList.objects.get_or_create(owner=plan.owner, year=plan.year)
    for _ in range(n):
        rel = RelationshipPlanFactory(plan=plan)
        RelationshipActionFactory.create_batch(2, relationship=rel)
        RelationshipResultFactory(relationship=rel, metric=metric)
        DevelopmentGoalFactory(plan=plan, result_metric=metric)
        NamedAccountEntryFactory(named_list=named)
        TargetFactory(user=plan.owner, year=plan.year, metric=MetricFactory())


@pytest.mark.parametrize("who", ["rm_a1", "leader_a1"])
def test_plan_page_query_count_does_not_grow_with_the_plan(client, org, plan, who, django_assert_num_queries):
    # session, user: 2. The plan (owner, team, leader, approver) and its prefetches: sections (+ authors),
    # segments, activity levels, mix, relationship plans (+ accounts), actions, action owners, results, result
    # metrics, development goals (+ metrics), comments, revisions: 13. The RM's designated accounts: 1. The
    # disconnect detector: 13 (see its own budget in test_plans). The RM's targets, named list and its
    # entries, the metric catalogue, the RM's role (2) and segments, the product categories: 8.
    # The plan's history (with who; salesplan.history) and its sections' edits: 2.
    # A leader also checks twice that the RM is theirs (may edit, may review): 2.
    budget = {"rm_a1": 39, "leader_a1": 41}[who]
    _as(client, getattr(org, who))
    _grow(plan, 3)
    with django_assert_num_queries(budget):
        assert client.get(plan.get_absolute_url()).status_code == 200
    _grow(plan, 12)
    with django_assert_num_queries(budget):
        assert client.get(plan.get_absolute_url()).status_code == 200


def test_plan_list_query_count_does_not_grow(client, org, django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            rm = RMFactory(team=org.team_a1)
            services.plan_create(owner=rm, year=YEAR, by=rm)

    _as(client, org.leader_a1)
    grow(3)
    # session, user, team choices of the filter, count for the paginator, the page of plans (owners, teams)
    with django_assert_num_queries(5):
        client.get(reverse("coaching:plan-list"))
    grow(20)
    with django_assert_num_queries(5):
        client.get(reverse("coaching:plan-list"))
