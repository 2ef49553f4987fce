"""The leader's review pages: the board, the review (request changes or approve), the plan reset, the
revisions and their differences, and the review panel of the plan page."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from coaching.models import PlanComment, PlannedActivity, PlanRevision, PlanStatus, SectionKey
from coaching.selectors.plans import plan_detail
from coaching.services import plans as services
from tests.factories.accounts import RMFactory
from tests.factories.coaching import DevelopmentGoalFactory, RelationshipPlanFactory

pytestmark = pytest.mark.django_db

# Last year's plans: their submission was due on 31 January, so whatever is not submitted is overdue.
YEAR = timezone.localdate().year - 1
NOW = timezone.now()


def _plan(owner: User, status: str = PlanStatus.SUBMITTED, strategies: str = "Mine the 18 named accounts"):
    """An RM's plan for YEAR in the given status, with its strategies written."""
    plan = services.plan_create(owner=owner, year=YEAR, by=owner)
    services.section_save(plan=plan, key=SectionKey.STRATEGIES, content=strategies, base_version=0, by=owner)
    if status == PlanStatus.DRAFT:
        return plan
    plan = services.plan_submit(plan=plan, by=owner, now=NOW)
    leader = owner.team.leader
    if status == PlanStatus.CHANGES_REQUESTED:
        plan = services.plan_request_changes(plan=plan, by=leader, comments={"strategies": "Which clients?"})
    elif status == PlanStatus.APPROVED:
        plan = services.plan_approve(plan=plan, by=leader, now=NOW)
    return plan


@pytest.fixture
def plans(org):
    """One submitted plan per RM of the organisation."""
    return {who: _plan(getattr(org, who)) for who in ("rm_a1", "rm_a1_peer", "rm_a2", "rm_b1")}


def _page(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Access: every page, every role, own team against other teams --------------------------------------

ACCESS = [
    # viewer, owner of the plan, status for pages that read the plan
    ("rm_a1", "rm_a1", 200),
    ("rm_a1_peer", "rm_a1", 404),
    ("leader_a1", "rm_a1", 200),
    ("leader_a1", "rm_a2", 404),
    ("leader_a2", "rm_a1", 404),
    ("leader_a2", "rm_a2", 200),
    ("director_a", "rm_a2", 200),
    ("director_a", "rm_b1", 404),
    ("director_b", "rm_a1", 404),
    ("director_b", "rm_b1", 200),
    ("admin", "rm_b1", 200),
]
READ_PAGES = ["coaching:plan-revisions", "coaching:plan-revision-diff"]
REVIEW_PAGES = ["coaching:plan-review", "coaching:plan-reset"]


@pytest.mark.parametrize("name", READ_PAGES)
@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_revision_pages_answer_whoever_sees_the_plan(client, org, plans, name, viewer, owner, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse(name, args=[plans[owner].pk]))
    assert response.status_code == status, f"{viewer} on {owner}'s plan: {name}"


@pytest.mark.parametrize("name", REVIEW_PAGES)
@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_review_pages_answer_reviewers_only(client, org, plans, name, viewer, owner, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse(name, args=[plans[owner].pk]))
    # The RM sees their plan but does not review it.
    expected = 403 if viewer == owner else status
    assert response.status_code == expected, f"{viewer} on {owner}'s plan: {name}"


@pytest.mark.parametrize(
    ("viewer", "status", "sees", "hidden"),
    [
        ("rm_a1", 403, [], []),
        ("rm_a1_peer", 403, [], []),
        ("leader_a1", 200, ["RM A1", "RM A1 peer"], ["RM A2", "RM B1"]),
        ("leader_a2", 200, ["RM A2"], ["RM A1", "RM B1"]),
        ("director_a", 200, ["RM A1", "RM A1 peer", "RM A2"], ["RM B1"]),
        ("director_b", 200, ["RM B1"], ["RM A1", "RM A2"]),
        ("admin", 200, ["RM A1", "RM A2", "RM B1"], []),
    ],
)
def test_review_board_shows_the_viewers_rms_and_refuses_rms(client, org, plans, viewer, status, sees, hidden):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse("coaching:review-board"), {"year": YEAR})
    assert response.status_code == status
    if status == 200:
        owners = {row.owner.display_name for column in response.context["columns"] for row in column.rows}
        assert set(sees) <= owners
        assert not owners & set(hidden)


def test_the_rm_cannot_approve_or_send_back_their_own_plan(rm_client, plans):
    plan = plans["rm_a1"]
    for action in ("approve", "request_changes"):
        response = rm_client.post(
            reverse("coaching:plan-review", args=[plan.pk]), {"action": action, "comment-strategies": "Fine"}
        )
        assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_another_teams_leader_cannot_approve_or_reset(client, org, plans):
    client.force_login(org.leader_a2)
    plan = plans["rm_a1"]
    assert (
        client.post(reverse("coaching:plan-review", args=[plan.pk]), {"action": "approve"}).status_code == 404
    )
    assert client.post(reverse("coaching:plan-reset", args=[plan.pk]), {"reason": "x"}).status_code == 404
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


# --- The review board -----------------------------------------------------------------------------------


def test_board_groups_plans_by_status_with_counts_overdue_and_disconnects(leader_client, org):
    submitted = _plan(org.rm_a1)
    draft = _plan(RMFactory(team=org.team_a1, display_name="RM drafting"), PlanStatus.DRAFT)
    approved = _plan(RMFactory(team=org.team_a1, display_name="RM approved"), PlanStatus.APPROVED)
    # rm_a1_peer has not started.
    response = leader_client.get(reverse("coaching:review-board"), {"year": YEAR})
    columns = {c.status: [row.owner for row in c.rows] for c in response.context["columns"]}
    assert columns == {
        "not_started": [org.rm_a1_peer],
        "draft": [draft.owner],
        "submitted": [submitted.owner],
        "changes_requested": [],
        "approved": [approved.owner],
    }
    page = _page(response)
    assert '<div class="fs-4 fw-semibold" data-testid="count-submitted">1</div>' in page
    # Not submitted by 31 January: the draft and the plan not started are overdue, the submitted one is not.
    assert page.count("overdue since 31 Jan") == 2
    row = page.split(f'data-testid="row-{submitted.owner.pk}"')[1].split("</tr>")[0]
    assert "overdue" not in row
    # No goal in figures: one disconnect, its message as the badge's tooltip.
    assert 'title="The plan sets no goal in figures' in row
    assert reverse("coaching:plan-review", args=[submitted.pk]) in row
    assert reverse("coaching:plan-detail", args=[submitted.pk]) in row


def test_board_counts_open_disconnects_per_plan(leader_client, org):
    plan = _plan(org.rm_a1)
    plan.goal_new_clients = 5
    plan.save()
    RelationshipPlanFactory(plan=plan, account__must_keep=False)  # stale: not designated any more
    DevelopmentGoalFactory(plan=plan, result_description="")  # tied to no result
    response = leader_client.get(reverse("coaching:review-board"), {"year": YEAR})
    [row] = next(c.rows for c in response.context["columns"] if c.status == "submitted")
    kinds = {f.kind for f in row.findings}
    assert {"relationship_stale", "development_untied"} <= kinds
    assert f'data-testid="disconnects">{len(row.findings)}</span>' in _page(response)


def test_board_filters_by_team_for_a_director(director_client, org, plans):
    response = director_client.get(reverse("coaching:review-board"), {"year": YEAR, "team": org.team_a2.pk})
    owners = [row.owner for column in response.context["columns"] for row in column.rows]
    assert owners == [org.rm_a2]
    assert 'name="team"' in _page(response)


def test_board_has_no_team_filter_for_a_leader_of_one_team_and_ignores_others_teams(
    leader_client, org, plans
):
    response = leader_client.get(reverse("coaching:review-board"), {"year": YEAR, "team": org.team_b1.pk})
    assert 'name="team"' not in _page(response)
    # Not one of their teams: ignored, and the year asked for holds.
    assert response.context["year"] == YEAR
    owners = {row.owner for column in response.context["columns"] for row in column.rows}
    assert owners == {org.rm_a1, org.rm_a1_peer}
    assert {row.plan for column in response.context["columns"] for row in column.rows} == {
        plans["rm_a1"],
        plans["rm_a1_peer"],
    }


def test_board_with_a_team_not_offered_shows_the_error_to_a_director(director_client, org, plans):
    response = director_client.get(reverse("coaching:review-board"), {"year": YEAR, "team": org.team_b1.pk})
    assert "Select a valid choice" in _page(response)
    owners = {row.owner for column in response.context["columns"] for row in column.rows}
    assert owners == {org.rm_a1, org.rm_a1_peer, org.rm_a2}


def test_across_several_teams_each_group_shows_its_first_rms_and_counts_the_rest(
    director_client, org, plans, monkeypatch
):
    """Region A's three RMs all submitted: with two rows a group, RM A1 and RM A1 peer are shown (by name),
    RM A2 is counted, and the disconnect detector reads only the plans shown. Choosing a team shows it all."""
    from coaching.selectors import plans as plan_selectors

    monkeypatch.setattr(plan_selectors, "BOARD_GROUP_ROWS", 2)
    read = []
    detector = plan_selectors.plan_disconnects
    monkeypatch.setattr(
        plan_selectors,
        "plan_disconnects",
        lambda *, plans, today: read.extend(plans) or detector(plans=plans, today=today),
    )
    response = director_client.get(reverse("coaching:review-board"), {"year": YEAR})
    submitted = next(c for c in response.context["columns"] if c.status == PlanStatus.SUBMITTED)
    assert ([row.owner for row in submitted.rows], submitted.count) == ([org.rm_a1, org.rm_a1_peer], 3)
    assert set(read) == {plans["rm_a1"], plans["rm_a1_peer"]}
    page = _page(response)
    assert 'data-testid="count-submitted">3<' in page
    assert "And 1 more RM: choose a team above to see every plan of this group." in page
    response = director_client.get(reverse("coaching:review-board"), {"year": YEAR, "team": org.team_a1.pk})
    submitted = next(c for c in response.context["columns"] if c.status == PlanStatus.SUBMITTED)
    assert ([row.owner for row in submitted.rows], submitted.more) == ([org.rm_a1, org.rm_a1_peer], 0)
    assert "more RM" not in _page(response)


def test_board_opens_on_the_current_year(leader_client, org):
    response = leader_client.get(reverse("coaching:review-board"))
    assert response.context["year"] == timezone.localdate().year


def test_board_query_count_does_not_grow_with_the_team(client, org, django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            plan = _plan(RMFactory(team=org.team_a1))
            plan.goal_new_clients = 5
            plan.save()
            PlannedActivity.objects.create(plan=plan, kind="conversation", per_week=D("12"))
            plan.planned_mix.create(category="Loans", share=D("0.3"))
            RelationshipPlanFactory(plan=plan)
            DevelopmentGoalFactory(plan=plan)

    client.force_login(org.leader_a1)
    url = reverse("coaching:review-board")
    # session, user (with roles), the viewer's teams (filter), then the board's 16 (see
    # tests/coaching/test_plans.py: RMs, plans, mix, funnel, planned activity, designated accounts,
    # relationship plans, untied goals, named lists, targets, team sizes, mix standards): 19
    grow(3)
    with django_assert_num_queries(19):
        assert client.get(url, {"year": YEAR}).status_code == 200
    grow(12)
    with django_assert_num_queries(19):
        assert client.get(url, {"year": YEAR}).status_code == 200


# --- The review: request changes or approve ------------------------------------------------------------


def test_review_page_shows_every_part_with_a_comment_box_and_the_disconnects(leader_client, plans):
    plan = plans["rm_a1"]
    response = leader_client.get(reverse("coaching:plan-review", args=[plan.pk]))
    page = _page(response)
    assert "Mine the 18 named accounts" in page
    for key in [*SectionKey.values, "numbers", "relationships", "development"]:
        assert f'name="comment-{key}"' in page, key
    assert 'id="findings"' in page and "The plan sets no goal in figures" in page


def test_request_changes_without_a_comment_is_refused_with_the_services_message(leader_client, plans):
    plan = plans["rm_a1"]
    response = leader_client.post(
        reverse("coaching:plan-review", args=[plan.pk]),
        {"action": "request_changes", "comment-strategies": "   "},
    )
    assert response.status_code == 400
    assert "Say what to change: write a comment on at least one section." in _page(response)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_request_changes_stores_each_comment_on_its_part_and_sends_the_plan_back(leader_client, org, plans):
    plan = plans["rm_a1"]
    response = leader_client.post(
        reverse("coaching:plan-review", args=[plan.pk]),
        {
            "action": "request_changes",
            "comment-strategies": "Which clients first?",
            "comment-numbers": "12 conversations a week will not make 10 wins.",
            "comment-goals_self": "",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{reverse('coaching:review-board')}?year={YEAR}"
    assert _messages(response) == [
        f"Changes requested: RM A1's plan for {YEAR} went back with your comments."
    ]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CHANGES_REQUESTED
    stored = {(c.section, c.body, c.author) for c in PlanComment.objects.filter(plan=plan)}
    assert stored == {
        ("strategies", "Which clients first?", org.leader_a1),
        ("numbers", "12 conversations a week will not make 10 wins.", org.leader_a1),
    }


def test_approve_freezes_the_revision_and_locks_the_plan(leader_client, org, plans):
    plan = plans["rm_a1"]
    response = leader_client.post(
        reverse("coaching:plan-review", args=[plan.pk]), {"action": "approve"}, follow=True
    )
    assert _messages(response) == [f"RM A1's plan for {YEAR} is approved (revision 1)."]
    plan.refresh_from_db()
    assert (plan.status, plan.approved_by) == (PlanStatus.APPROVED, org.leader_a1)
    assert PlanRevision.objects.get(plan=plan, number=1).content["sections"]["strategies"] == (
        "Mine the 18 named accounts"
    )
    assert not services.can_edit(user=org.rm_a1, plan=plan)
    with pytest.raises(PermissionDenied):
        services.section_save(plan=plan, key=SectionKey.STRATEGIES, content="x", base_version=1, by=org.rm_a1)


def test_approve_with_comments_typed_keeps_them_and_asks_to_choose(leader_client, plans):
    plan = plans["rm_a1"]
    response = leader_client.post(
        reverse("coaching:plan-review", args=[plan.pk]),
        {"action": "approve", "comment-strategies": "Which clients first?"},
    )
    assert response.status_code == 400
    page = _page(response)
    assert "You wrote comments: request changes to send them, or clear them to approve." in page
    assert "Which clients first?</textarea>" in page
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_approving_a_draft_shows_the_services_message_and_changes_nothing(leader_client, org):
    plan = _plan(org.rm_a1, PlanStatus.DRAFT)
    page = leader_client.get(reverse("coaching:plan-review", args=[plan.pk]))
    assert "there is nothing to decide until the RM submits it" in _page(page)
    response = leader_client.post(reverse("coaching:plan-review", args=[plan.pk]), {"action": "approve"})
    assert response.status_code == 400
    assert "Only a submitted plan can be approved." in _page(response)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and not plan.revisions.exists()


# --- The plan reset -----------------------------------------------------------------------------------


def test_reset_without_a_reason_is_refused_with_the_services_message(leader_client, org):
    plan = _plan(org.rm_a1, PlanStatus.APPROVED)
    response = leader_client.post(reverse("coaching:plan-reset", args=[plan.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert "Say why the plan is reset." in _page(response)
    plan.refresh_from_db()
    assert (plan.status, plan.revision) == (PlanStatus.APPROVED, 1)


def test_reset_opens_revision_two_as_a_draft(leader_client, org):
    plan = _plan(org.rm_a1, PlanStatus.APPROVED)
    response = leader_client.post(
        reverse("coaching:plan-reset", args=[plan.pk]), {"reason": "Checkpoint of 14 May: Dupont is lost"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("coaching:plan-detail", args=[plan.pk])
    plan.refresh_from_db()
    assert (plan.status, plan.revision, plan.reset_reason) == (
        PlanStatus.DRAFT,
        2,
        "Checkpoint of 14 May: Dupont is lost",
    )
    revisions = leader_client.get(reverse("coaching:plan-revisions", args=[plan.pk]))
    assert _messages(revisions) == ["Revision 2 opened."]
    assert "Checkpoint of 14 May: Dupont is lost" in _page(revisions)


def test_resetting_a_plan_that_is_not_approved_shows_the_services_message(leader_client, plans):
    plan = plans["rm_a1"]
    response = leader_client.post(reverse("coaching:plan-reset", args=[plan.pk]), {"reason": "Why not"})
    assert response.status_code == 400
    assert "Only an approved plan is reset; change a draft directly." in _page(response)
    plan.refresh_from_db()
    assert (plan.status, plan.revision) == (PlanStatus.SUBMITTED, 1)


# --- Revisions and differences ------------------------------------------------------------------------


@pytest.fixture
def two_revisions(org):
    """rm_a1's plan approved twice: "Line one / Line two", then reset and "Line one / Line three"."""
    plan = _plan(org.rm_a1, PlanStatus.APPROVED, strategies="Line one\nLine two")
    plan = services.plan_reset(plan=plan, by=org.leader_a1, reason="Checkpoint of 14 May: Dupont is lost")
    services.section_save(plan=plan, key=SectionKey.STRATEGIES, content="Line one\nLine three", base_version=1,
                          by=org.rm_a1)  # fmt: skip
    plan = services.plan_submit(plan=plan, by=org.rm_a1, now=NOW)
    return services.plan_approve(plan=plan, by=org.leader_a1, now=NOW)


def test_revision_list_shows_each_revision_with_its_reason_and_approver(rm_client, two_revisions):
    response = rm_client.get(reverse("coaching:plan-revisions", args=[two_revisions.pk]))
    page = _page(response)
    assert [r.number for r in response.context["revisions"]] == [1, 2]
    assert "The first approved plan." in page and "Checkpoint of 14 May: Dupont is lost" in page
    assert "Leader A1" in page
    assert 'data-testid="compare-form"' in page


def test_revision_list_shows_the_working_version_as_current_after_a_reset(leader_client, org):
    plan = _plan(org.rm_a1, PlanStatus.APPROVED)
    services.plan_reset(plan=plan, by=org.leader_a1, reason="New market")
    page = _page(leader_client.get(reverse("coaching:plan-revisions", args=[plan.pk])))
    current = page.split('data-testid="current-row"')[1].split("</tr>")[0]
    assert "current" in current and "New market" in current


def test_diff_between_two_revisions_shows_removed_and_added_lines_and_the_reason(rm_client, two_revisions):
    response = rm_client.get(
        reverse("coaching:plan-revision-diff", args=[two_revisions.pk]), {"from": "1", "to": "2"}
    )
    assert response.status_code == 200
    page = _page(response)
    removed = [line.split("<del>")[1].split("</del>")[0] for line in page.split('data-testid="removed"')[1:]]
    added = [line.split("<ins>")[1].split("</ins>")[0] for line in page.split('data-testid="added"')[1:]]
    assert (removed, added) == (["Line two"], ["Line three"])
    assert "Checkpoint of 14 May: Dupont is lost" in page.split('data-testid="diff-reason"')[1]
    # Only the strategies changed: every other block is folded.
    assert [d.title for d in response.context["changed"]] == ["Strategies"]
    assert page.count('data-testid="unchanged-block"') == len(response.context["unchanged"]) > 5
    # In the order the plan reads, whatever order the database keeps a revision's sections in.
    titles = [d.title for d in response.context["diffs"]]
    assert titles[: len(SectionKey.labels)] == [str(label) for label in SectionKey.labels]


def test_diff_against_the_working_version(leader_client, org):
    plan = _plan(org.rm_a1, PlanStatus.APPROVED, strategies="Line one")
    plan = services.plan_reset(plan=plan, by=org.leader_a1, reason="New market")
    services.section_save(plan=plan, key=SectionKey.STRATEGIES, content="Line one\nLine four", base_version=1,
                          by=org.rm_a1)  # fmt: skip
    response = leader_client.get(
        reverse("coaching:plan-revision-diff", args=[plan.pk])
    )  # defaults: 1 → current
    page = _page(response)
    assert "<ins>Line four</ins>" in page
    assert "New market" in page.split('data-testid="diff-reason"')[1]


def test_diff_with_an_unknown_revision_is_refused(leader_client, two_revisions):
    response = leader_client.get(
        reverse("coaching:plan-revision-diff", args=[two_revisions.pk]), {"from": "9", "to": "2"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in _page(response)


def test_diff_of_a_plan_never_approved_says_so(rm_client, plans):
    response = rm_client.get(reverse("coaching:plan-revision-diff", args=[plans["rm_a1"].pk]))
    assert response.status_code == 200
    assert "No revision yet" in _page(response)


# --- The review panel of the plan page -----------------------------------------------------------------


def _panel(plan_pk: int, viewer: User, can_review: bool, findings=()) -> str:
    plan = plan_detail(viewer=viewer, pk=plan_pk)
    return render_to_string(
        "coaching/_plan_review_panel.html",
        {"plan": plan, "can_review": can_review, "findings": list(findings)},
    )


def test_panel_shows_the_rm_the_open_comments_of_the_last_request(org):
    plan = _plan(org.rm_a1, PlanStatus.CHANGES_REQUESTED)
    html = _panel(plan.pk, org.rm_a1, can_review=False)
    assert "changes requested by Leader A1 on" in html
    comments = html.split('data-testid="open-comments"')[1]
    assert "Strategies" in comments and "Which clients?" in comments and "Leader A1" in comments
    assert 'data-testid="panel-review"' not in html and 'data-testid="panel-reset"' not in html


def test_panel_offers_the_reviewer_review_then_reset(org):
    submitted = _plan(org.rm_a1)
    html = _panel(submitted.pk, org.leader_a1, can_review=True)
    assert reverse("coaching:plan-review", args=[submitted.pk]) in html
    assert "submitted on" in html and "revision 1" in html
    approved = _plan(org.rm_a1_peer, PlanStatus.APPROVED)
    html = _panel(approved.pk, org.leader_a1, can_review=True)
    assert reverse("coaching:plan-reset", args=[approved.pk]) in html
    assert reverse("coaching:plan-revisions", args=[approved.pk]) in html
    assert "approved by Leader A1 on" in html
    assert 'data-testid="open-comments"' not in html


def test_panel_counts_the_findings_and_links_to_them(org, plans):
    from coaching.selectors.plans import Finding

    findings = [Finding("no_goal", "No goal", "numbers"), Finding("x", "Other", "territory")]
    html = _panel(plans["rm_a1"].pk, org.leader_a1, can_review=True, findings=findings)
    link = html.split('data-testid="panel-findings"')[0].rsplit("<a ", 1)[1]
    assert 'href="#findings"' in link
    assert 'data-testid="panel-findings">2 disconnects to look at</a>' in html


def test_panel_runs_no_query(org, django_assert_num_queries):
    plan = _plan(org.rm_a1, PlanStatus.CHANGES_REQUESTED)
    plan = plan_detail(viewer=org.leader_a1, pk=plan.pk)
    context = {"plan": plan, "can_review": True, "findings": []}
    with django_assert_num_queries(0):
        render_to_string("coaching/_plan_review_panel.html", context)
