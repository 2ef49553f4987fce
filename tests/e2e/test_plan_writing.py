"""An RM writes their annual plan in the browser: from blank, saved as they type, to submitted; and what
happens when someone else saves the same section meanwhile, or the network drops."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coaching.models import Plan
from coaching.services import plans as services
from kpis.models import MetricKind, MetricSource, MetricUnit
from tests.e2e.conftest import SCREENSHOTS
from tests.factories.kpis import MetricFactory, ProductFactory
from tests.factories.targeting import AccountFactory, SegmentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SAVED = re.compile(r"^\s*Saved at \d\d:\d\d")


def _log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_rm_writes_their_plan_from_blank_to_submitted(page, live_server, org, password, shot):
    year = timezone.localdate().year
    AccountFactory(owner=org.rm_a1, must_keep=True, legal_name="Dupont Logistique SAS")
    MetricFactory(name="Loans outstanding", code="loans-e2e", kind=MetricKind.BALANCE, unit=MetricUnit.MONEY,
                  source=MetricSource.BALANCE)  # fmt: skip
    MetricFactory(name="Closing ratio", code="closing-e2e", kind=MetricKind.FLOW, source=MetricSource.WINS)
    ProductFactory(name="Credit line", category="Loans")
    ProductFactory(name="Sweep account", category="Cash management")
    SegmentFactory(team=org.team_a1, name="Family businesses")
    _log_in(page, live_server, org.rm_a1.email, password)

    page.goto(f"{live_server.url}/coaching/plans/")
    shot("plan-list-rm")
    page.get_by_role("button", name=f"Open my plan for {year}").click()
    expect(page.get_by_role("heading", name=f"My flight plan for {year}")).to_be_visible()
    findings = page.get_by_test_id("findings-panel")
    expect(findings).to_contain_text("Dupont Logistique SAS is a must-keep or must-expand client")
    expect(findings).to_contain_text("sets no goal in figures")
    shot("plan-blank")

    # Goals first: typing shows "Unsaved changes", then the autosave says "Saved at hh:mm".
    goal_self = page.get_by_label("My goals for myself")
    goal_self.press_sequentially(
        "Become the reference banker for family businesses in Paris Centre.", delay=5
    )
    status = page.get_by_test_id("status-goals_self")
    expect(status).to_have_text("Unsaved changes")
    shot("plan-typing")
    page.locator("#goals").screenshot(path=str(SCREENSHOTS / "plan-typing-detail.png"))
    expect(status).to_have_text(SAVED, timeout=10_000)
    texts = {
        "My goals for my business": "Twelve new family businesses, loans up 10%.",
        "My goals for my pay": "Reach the full variable pay.",
        "My goals for my market": "Be known by every accountant of the 2nd arrondissement.",
    }
    for label, text in texts.items():
        page.get_by_label(label).fill(text)
    page.get_by_label("My goals for my market").blur()
    for key in ("goals_business", "goals_pay", "goals_market"):
        expect(page.get_by_test_id(f"status-{key}")).to_have_text(SAVED, timeout=10_000)
    page.locator("#content-strategies").fill("Mine the named accounts deeply; accountants as introducers.")
    page.locator("#content-strategies").blur()
    expect(page.get_by_test_id("status-strategies")).to_have_text(SAVED, timeout=10_000)
    shot("plan-goals-saved")
    page.locator("#goals").screenshot(path=str(SCREENSHOTS / "plan-goals-saved-detail.png"))

    # Reload: what was typed is really saved.
    page.reload()
    expect(page.get_by_label("My goals for myself")).to_have_value(
        "Become the reference banker for family businesses in Paris Centre."
    )
    expect(page.get_by_label("My goals for my market")).to_have_value(texts["My goals for my market"])
    expect(page.locator("#content-strategies")).to_have_value(
        "Mine the named accounts deeply; accountants as introducers."
    )

    # The numbers: goals in figures, segments, activity per week and product mix, in one form.
    numbers = page.get_by_test_id("numbers")
    numbers.get_by_label("New clients I will win").fill("12")
    numbers.get_by_label("Revenue I will win").fill("300000")
    numbers.get_by_label("Family businesses").check()
    numbers.get_by_label("Conversations", exact=True).fill("15")
    numbers.get_by_label("First appointments").fill("2")
    numbers.get_by_label("Appointments (all)").fill("3")
    numbers.get_by_label("Proposals").fill("1.5")
    numbers.get_by_label("Loans").fill("40")
    numbers.get_by_label("Cash management").fill("30")
    expect(page.get_by_test_id("status-numbers")).to_have_text("Unsaved changes")
    numbers.get_by_role("button", name="Save the figures").click()
    expect(page.get_by_test_id("status-numbers")).to_have_text(SAVED)
    # The disconnect panel refreshed itself: a goal in figures is set now.
    expect(findings).not_to_contain_text("sets no goal in figures")
    expect(findings).to_contain_text("twelve months of funnel history")
    numbers.scroll_into_view_if_needed()
    shot("plan-numbers-saved")

    # A relationship plan for the must-keep client, with one action.
    page.get_by_role("button", name="Create a relationship plan for Dupont Logistique SAS").click()
    card = page.get_by_test_id("relationship").filter(has_text="Dupont Logistique SAS")
    expect(card).to_be_visible()
    expect(findings).not_to_contain_text("Dupont Logistique SAS is a must-keep")
    card.get_by_label("Objectives").fill("Keep the operating account; renew the 2M credit line in June.")
    card.get_by_label("Objectives").blur()
    expect(card.get_by_test_id("rel-status")).to_have_text(SAVED, timeout=10_000)
    action_form = card.get_by_test_id("action-form")
    action_form.get_by_label("Action").fill("Quarterly review with the CFO")
    action_form.get_by_label("Due").fill(f"{year}-12-15")
    action_form.get_by_label("Owner").select_option(label="Leader A1")
    action_form.get_by_role("button", name="Add").click()
    card = page.get_by_test_id("relationship").filter(has_text="Dupont Logistique SAS")
    expect(card.get_by_test_id("actions")).to_contain_text("Quarterly review with the CFO")
    expect(card.get_by_test_id("actions")).to_contain_text("Leader A1")
    expect(card.get_by_label("Objectives")).to_have_value(
        "Keep the operating account; renew the 2M credit line in June."
    )
    shot("plan-relationship")

    # A development goal tied to a metric.
    development = page.get_by_test_id("development-form")
    development.get_by_label("Skill to build").fill("Speak the CFO's language: ROI, IRR, payback")
    development.get_by_label("Actions").fill(
        "Value-calculator workshop; two proposals with an IRR each month."
    )
    development.get_by_label("Result it serves").select_option(label="Closing ratio")
    development.get_by_role("button", name="Add the goal").click()
    goal = page.get_by_test_id("development-goal")
    expect(goal).to_contain_text("Speak the CFO's language")
    expect(goal).to_contain_text("Closing ratio")
    shot("plan-development")
    page.locator("#goals").scroll_into_view_if_needed()
    shot("plan-written")

    # Submit: the confirmation lists what is still open, then the plan is locked.
    page.get_by_test_id("submit-link").click()
    expect(page.get_by_test_id("submit-warning")).to_contain_text("Your plan still has 1 disconnect")
    shot("plan-submit-confirm")
    page.get_by_role("button", name="Submit anyway").click()
    expect(
        page.get_by_role("alert").filter(has_text="Your plan has been submitted to Leader A1.")
    ).to_be_visible()
    expect(page.get_by_test_id("plan-locked")).to_contain_text("waiting for your leader")
    expect(page.locator("textarea")).to_have_count(0)
    expect(page.get_by_test_id("section-goals_self")).to_contain_text("Become the reference banker")
    shot("plan-submitted")
    assert Plan.objects.get(owner=org.rm_a1, year=year).status == "submitted"

    # The plan's history names the sections written, with who wrote them, beside the submission.
    history = page.get_by_test_id("history")
    history.locator("summary").click()
    expect(history.get_by_test_id("history-table")).to_contain_text("My goals for myself")
    expect(history.get_by_test_id("history-table")).to_contain_text("RM A1")
    history.scroll_into_view_if_needed()
    shot("plan-history")
    history.screenshot(path=str(SCREENSHOTS / "plan-history-detail.png"))


def test_a_save_made_meanwhile_by_the_leader_shows_both_versions_and_nothing_is_lost(
    page, live_server, org, password, shot
):
    plan = services.plan_create(owner=org.rm_a1, year=timezone.localdate().year, by=org.rm_a1)
    _log_in(page, live_server, org.rm_a1.email, password)
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    # The leader saves the strategies while the RM has the page open.
    services.section_save(plan=plan, key="strategies", content="Leader: start with the 18 named accounts.",
                          base_version=0, by=org.leader_a1)  # fmt: skip
    page.locator("#content-strategies").fill("RM: prospect the accountants first.")
    conflict = page.get_by_test_id("conflict")
    expect(conflict).to_contain_text(
        "Leader A1 saved this section while you were editing it.", timeout=10_000
    )
    expect(conflict.get_by_test_id("conflict-theirs")).to_contain_text(
        "Leader: start with the 18 named accounts."
    )
    yours = conflict.get_by_test_id("conflict-yours")
    expect(yours).to_have_value("RM: prospect the accountants first.")
    shot("plan-conflict")
    yours.fill("Start with the 18 named accounts, and prospect the accountants.")
    conflict.get_by_role("button", name="Keep this text").click()
    expect(page.get_by_test_id("status-strategies")).to_have_text(SAVED)
    expect(page.locator("#content-strategies")).to_have_value(
        "Start with the 18 named accounts, and prospect the accountants."
    )
    assert (
        plan.sections.get(key="strategies").content
        == "Start with the 18 named accounts, and prospect the accountants."
    )
    # Typing on goes on from their version: no second conflict.
    page.locator("#content-strategies").focus()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Then the rest.")
    expect(page.get_by_test_id("status-strategies")).to_have_text(SAVED, timeout=10_000)
    assert plan.sections.get(key="strategies").content.endswith("Then the rest.")


def test_a_save_that_fails_on_the_network_or_the_session_is_retried_and_the_text_kept(
    page, live_server, org, password, shot
):
    plan = services.plan_create(owner=org.rm_a1, year=timezone.localdate().year, by=org.rm_a1)
    _log_in(page, live_server, org.rm_a1.email, password)
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    page.route("**/sections/**", lambda route: route.abort())
    page.get_by_label("My goals for my pay").fill("Full variable pay.")
    status = page.get_by_test_id("status-goals_pay")
    expect(status).to_have_text("Not saved — retrying", timeout=10_000)
    shot("plan-retrying")
    page.unroute("**/sections/**")
    expect(status).to_have_text(SAVED, timeout=15_000)
    expect(page.get_by_label("My goals for my pay")).to_have_value("Full variable pay.")
    assert plan.sections.get(key="goals_pay").content == "Full variable pay."

    # The session ends: the answer is the login page, which is not a save. Logging in again (in another
    # tab) lets the retry through.
    page.context.clear_cookies(name="sessionid")  # the session ends; the CSRF cookie lives on
    page.get_by_label("My goals for my market").fill("The 2nd arrondissement.")
    status = page.get_by_test_id("status-goals_market")
    expect(status).to_contain_text("you were logged out", timeout=10_000)
    expect(page.get_by_label("My goals for my market")).to_have_value("The 2nd arrondissement.")
    _log_in(page.context.new_page(), live_server, org.rm_a1.email, password)
    expect(status).to_have_text(SAVED, timeout=20_000)
    assert plan.sections.get(key="goals_market").content == "The 2nd arrondissement."


def test_leader_finds_the_plans_of_their_rms_and_the_review_board(page, live_server, org, password, shot):
    year = timezone.localdate().year
    services.plan_create(owner=org.rm_a1, year=year, by=org.rm_a1)
    submitted = services.plan_create(owner=org.rm_a1_peer, year=year, by=org.rm_a1_peer)
    services.plan_submit(plan=submitted, by=org.rm_a1_peer, now=timezone.now())
    services.plan_create(owner=org.rm_b1, year=year, by=org.rm_b1)
    _log_in(page, live_server, org.leader_a1.email, password)
    page.goto(f"{live_server.url}/coaching/plans/")
    table = page.get_by_test_id("plan-table")
    expect(table).to_contain_text("RM A1 peer")
    expect(table).not_to_contain_text("RM B1")
    expect(page.get_by_test_id("review-board-link")).to_be_visible()
    shot("plan-list-leader")
    table.get_by_role("link", name="RM A1 peer").click()
    expect(page.get_by_role("heading", name=f"RM A1 peer's flight plan for {year}")).to_be_visible()
    expect(page.get_by_test_id("plan-locked")).to_contain_text("waiting for review")
    expect(page.get_by_test_id("submit-link")).to_have_count(0)
    shot("plan-leader-reads-submitted")
