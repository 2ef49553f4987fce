"""A leader opens their team's dashboard, sees each RM's attainment in colour, and drills down to an RM's
dashboard with its charts drawn; a director's region dashboard and the funnel page render their charts."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kpis.models import ActivityKind, MetricSource, MetricUnit, Stage
from kpis.selectors import latest_closed_month
from tests.factories.kpis import ActivityFactory, MetricFactory, OpportunityFactory, TargetFactory
from tests.factories.targeting import AccountFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, email, password):
    page.emulate_media(reduced_motion="reduce")  # charts drawn at once, not caught mid-animation
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


@pytest.fixture
def year_so_far(org):
    """The year of the latest closed month: targets for team A1 and its RMs, and each month's work up to
    it — rm_a1 on plan for won revenue, rm_a1_peer well short."""
    year, month = latest_closed_month(timezone.localdate())
    # The catalogue comes from a data migration, which a transactional test's flush may have emptied.
    won = MetricFactory(code="won-revenue", name="Won revenue", unit=MetricUnit.MONEY,
                        source=MetricSource.WON_REVENUE, display_order=50)  # fmt: skip
    conversations = MetricFactory(code="conversations", name="Conversations", source=MetricSource.CONVERSATIONS,
                                  display_order=60)  # fmt: skip
    for rm, deals_per_month in ((org.rm_a1, 1), (org.rm_a1_peer, 0)):
        TargetFactory(user=rm, metric=won, year=year, value=D("12000"))
        TargetFactory(user=rm, metric=conversations, year=year, value=D("120"))
        account = AccountFactory(owner=rm)
        for m in range(1, month + 1):
            day = date(year, m, 10)
            ActivityFactory.create_batch(8, owner=rm, account=account, date=day)
            ActivityFactory(
                owner=rm, account=account, kind=ActivityKind.APPOINTMENT, date=day + timedelta(days=2)
            )
            for _ in range(deals_per_month):
                OpportunityFactory(owner=rm, account=account, stage=Stage.WON, engage_date=date(year, m, 1),
                                   close_date=date(year, m, 20), value=D("1000"))  # fmt: skip
    TargetFactory(user=None, team=org.team_a1, metric=won, year=year, value=D("24000"))
    return org


def test_leader_drills_down_from_the_team_dashboard_to_an_rms_charts(
    page, live_server, year_so_far, password, shot
):
    org = year_so_far
    _log_in(page, live_server, org.leader_a1.email, password)
    page.goto(f"{live_server.url}/kpis/dashboard/")  # "my dashboard": the leader's team
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Team A1")
    rows = page.get_by_test_id("owner-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="RM A1 peer").locator('[data-status="off_track"]').first).to_be_visible()
    on_track = rows.filter(has_text="RM A1").first.locator('[data-status="on_track"]').first
    expect(on_track).to_be_visible()
    # the status is a colour: green on track, red off track (Bootstrap's success and danger)
    assert on_track.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(25, 135, 84)"
    off_track = rows.filter(has_text="RM A1 peer").locator('[data-status="off_track"]').first
    assert off_track.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(220, 53, 69)"
    assert page.evaluate("() => Chart.getChart(document.querySelector('canvas')) !== undefined")
    shot("dashboard-team")

    rows.get_by_role("link", name="RM A1", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/kpis/dashboard/rm/{org.rm_a1.pk}/")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("RM A1")
    expect(page.get_by_test_id("plan-table")).to_contain_text("Won revenue")
    canvas = page.locator("canvas#chart-won-revenue")
    expect(canvas).to_be_visible()
    assert page.evaluate("() => Chart.getChart(document.querySelector('canvas')) !== undefined")
    assert page.evaluate("() => Chart.getChart('chart-conversations').data.datasets.length") == 2
    shot("dashboard-rm")


def test_director_sees_the_region_and_the_funnel(page, live_server, year_so_far, password, shot):
    org = year_so_far
    _log_in(page, live_server, org.director_a.email, password)
    page.goto(f"{live_server.url}/kpis/dashboard/")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Region A")
    expect(page.get_by_test_id("owner-row")).to_have_count(2)
    assert page.evaluate("() => Chart.getChart(document.querySelector('canvas')) !== undefined")
    shot("dashboard-region")

    page.get_by_role("link", name="Prospecting KPIs").click()
    expect(page.get_by_test_id("funnel-table")).to_be_visible()
    page.get_by_label("Per", exact=True).select_option("team")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("funnel-table").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("band").first).to_have_text("within national band")  # 1 in 8: 12.5%
    shot("funnel")
