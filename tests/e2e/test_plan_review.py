"""The review journey in the browser: a leader requests changes with a comment, the RM revises and submits
again, the leader approves; later the leader resets the plan and reads what changed."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coaching.models import PlanRevision, PlanSection, PlanStatus, SectionKey
from coaching.services import plans as services
from tests.factories.accounts import RMFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user, password):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def _log_out(page):
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Log out").click()


def _strategies(plan) -> PlanSection:
    return PlanSection.objects.get(plan=plan, key=SectionKey.STRATEGIES)


def _save_strategies(plan, text, by):
    """The RM's edit of the strategies section, saved as the plan page's autosave saves it."""
    plan.refresh_from_db()
    section = _strategies(plan)
    services.section_save(
        plan=plan, key=SectionKey.STRATEGIES, content=text, base_version=section.version, by=by
    )


def _status(plan) -> str:
    plan.refresh_from_db()
    return plan.status


def _wait_until(page, condition, seconds: float = 10) -> None:
    """Wait for what the browser sends in the background (autosave) to reach the database."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the browser's change did not reach the database")


def test_leader_requests_changes_rm_revises_leader_approves_then_resets(
    page, live_server, org, password, shot
):
    year = timezone.localdate().year
    rm, leader = org.rm_a1, org.leader_a1
    plan = services.plan_create(owner=rm, year=year, by=rm)
    _save_strategies(plan, "Call every must-keep client's CFO each quarter.\nWin new clients.", rm)
    services.section_save(plan=plan, key=SectionKey.GOALS_BUSINESS, content="Grow loans by 10%.", base_version=0,
                          by=rm)  # fmt: skip
    plan = services.plan_submit(plan=plan, by=rm, now=timezone.now())
    # The rest of the team, so that the board has more than one column filled.
    services.plan_create(owner=org.rm_a1_peer, year=year, by=org.rm_a1_peer)  # a draft, overdue
    RMFactory(team=org.team_a1, display_name="RM not started")

    # The leader opens the board, then the plan's review.
    _log_in(page, live_server, leader, password)
    page.goto(f"{live_server.url}/coaching/plans/review/")
    expect(page.get_by_test_id("count-submitted")).to_have_text("1")
    expect(page.get_by_test_id("count-not_started")).to_have_text("1")
    expect(page.get_by_test_id(f"row-{org.rm_a1_peer.pk}").get_by_test_id("overdue")).to_contain_text(
        "overdue since 31 Jan"
    )
    shot("plan-review-board")
    page.get_by_test_id(f"row-{rm.pk}").get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", name=f"Review of RM A1's plan for {year}")).to_be_visible()
    expect(page.get_by_test_id("part-strategies")).to_contain_text("Call every must-keep client's CFO")
    expect(page.get_by_test_id("findings")).to_contain_text("The plan sets no goal in figures")

    # Requesting changes without a word is refused; with a comment on the strategies the plan goes back.
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_role("alert")).to_contain_text("write a comment on at least one section")
    page.get_by_test_id("part-strategies").get_by_role("textbox").fill(
        "Which new clients, from which segment?"
    )
    shot("plan-review-form")
    page.get_by_role("button", name="Request changes").click()
    expect(page).to_have_url(re.compile(r"/coaching/plans/review/\?year="))
    expect(page.get_by_role("alert")).to_contain_text("Changes requested: RM A1's plan")
    expect(page.get_by_test_id("count-changes_requested")).to_have_text("1")
    _log_out(page)

    # The RM sees the comment on their plan, rewrites the strategies (saved as they type), submits again.
    _log_in(page, live_server, rm, password)
    page.goto(f"{live_server.url}/coaching/plans/{plan.pk}/")
    panel = page.get_by_test_id("plan-review-panel")
    expect(panel.get_by_test_id("plan-status")).to_have_text("Changes requested")
    expect(panel.get_by_test_id("plan-status-text")).to_contain_text("changes requested by Leader A1")
    expect(panel.get_by_test_id("open-comments")).to_contain_text("Which new clients, from which segment?")
    expect(panel.get_by_test_id("open-comments")).to_contain_text("Strategies")
    shot("plan-review-rm-sees-comments")
    revised = "Call every must-keep client's CFO each quarter.\nWin 8 new clients in Healthcare."
    page.locator("#content-strategies").fill(revised)
    _wait_until(page, lambda: _strategies(plan).content == revised)
    page.get_by_test_id("submit-link").click()
    page.get_by_role("button", name=re.compile("^Submit")).click()
    _wait_until(page, lambda: _status(plan) == PlanStatus.SUBMITTED)
    _log_out(page)

    # The leader reads the revised strategies next to their comment, and approves.
    _log_in(page, live_server, leader, password)
    page.goto(f"{live_server.url}/coaching/plans/review/")
    page.get_by_test_id(f"row-{rm.pk}").get_by_role("link", name="Review").click()
    expect(page.get_by_test_id("part-strategies")).to_contain_text("Win 8 new clients in Healthcare.")
    expect(page.get_by_test_id("part-strategies")).to_contain_text("Which new clients, from which segment?")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text(f"RM A1's plan for {year} is approved (revision 1).")
    expect(page.get_by_test_id("count-approved")).to_have_text("1")
    page.get_by_test_id(f"row-{rm.pk}").get_by_role("link", name="Open plan").click()
    panel = page.get_by_test_id("plan-review-panel")
    expect(panel.get_by_test_id("plan-status")).to_have_text("Approved")
    expect(panel.get_by_test_id("plan-status-text")).to_contain_text("approved by Leader A1")
    assert _status(plan) == PlanStatus.APPROVED
    assert PlanRevision.objects.filter(plan=plan, number=1).exists()
    panel.get_by_test_id("panel-revisions").click()
    expect(page.get_by_test_id("revision-table")).to_contain_text("The first approved plan.")

    # Later, a checkpoint decides to reset the plan; the RM rewrites; the leader reads what changed.
    page.goto(f"{live_server.url}/coaching/plans/{plan.pk}/")
    page.get_by_test_id("panel-reset").click()
    page.get_by_label("Why the plan is reset").fill("Checkpoint of 14 May: the Healthcare segment is closed.")
    page.get_by_role("button", name="Open revision 2").click()
    expect(page).to_have_url(f"{live_server.url}/coaching/plans/{plan.pk}/")
    expect(page.get_by_role("alert").first).to_contain_text("Revision 2 opened.")
    expect(page.get_by_test_id("reset-reason")).to_contain_text("the Healthcare segment is closed")
    _save_strategies(
        plan, "Call every must-keep client's CFO each quarter.\nWin 8 new clients in Logistics.", rm
    )
    page.get_by_test_id("panel-revisions").click()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_test_id("diff-reason")).to_contain_text("the Healthcare segment is closed")
    expect(page.get_by_test_id("removed")).to_have_text(re.compile("Healthcare"))
    expect(page.get_by_test_id("added")).to_have_text(re.compile("Logistics"))
    shot("plan-revision-diff")


def test_director_sees_the_first_rms_of_each_status_and_chooses_a_team_to_see_all(
    page, live_server, org, password, shot, monkeypatch
):
    from coaching.selectors import plans as plan_selectors

    monkeypatch.setattr(plan_selectors, "BOARD_GROUP_ROWS", 1)  # a whole bank, in miniature
    year = timezone.localdate().year
    for rm in (org.rm_a1, org.rm_a1_peer, org.rm_a2):
        services.plan_create(owner=rm, year=year, by=rm)
    _log_in(page, live_server, org.director_a, password)
    page.goto(f"{live_server.url}/coaching/plans/review/")
    expect(page.get_by_test_id("count-draft")).to_have_text("3")
    draft = page.get_by_test_id("group-draft")
    expect(draft.locator("[data-testid^=row-]")).to_have_count(1)
    expect(page.get_by_test_id("more-draft")).to_contain_text(
        "And 2 more RMs: choose a team above to see every plan of this group."
    )
    shot("plan-review-board-director")
    page.get_by_label("Team").select_option(label="Team A1")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("count-draft")).to_have_text("2")
    expect(draft.locator("[data-testid^=row-]")).to_have_count(2)
    expect(page.get_by_test_id("more-draft")).to_have_count(0)
    shot("plan-review-board-director-team")
