"""The funnel page, its CSV export and the RM, team and region dashboards: who reaches what, that the
figures shown are the selectors' figures, the forms, and query budgets at two sizes."""

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from kpis import selectors
from kpis.calculations import parse_period
from kpis.models import ActivityKind, Metric, Scope, Stage, StandardPeriod
from targeting.models import PlayingField
from tests.factories.accounts import RMFactory
from tests.factories.kpis import (
    ActivityFactory,
    BalanceSnapshotFactory,
    OpportunityFactory,
    StandardFactory,
    TargetFactory,
)
from tests.factories.targeting import AccountFactory

pytestmark = pytest.mark.django_db
MARCH = {"year": "2026", "month": "3"}


def _metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _command_csv(*args) -> list[list[str]]:
    out = io.StringIO()
    call_command("kpis", *args, "--format", "csv", stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


@pytest.fixture
def march(org):
    """rm_a1 in March 2026: 10 conversations and 1 appointment (10.0%, within the 4–18% band), one proposal,
    two deals won (1000 in 30 days, 3000 in 50 days) and one lost, on top-down and bottom-up accounts;
    rm_a1_peer: 10 conversations and 3 appointments (30.0%, above the band); rm_b1: 5 conversations."""
    rm, peer = org.rm_a1, org.rm_a1_peer
    top = AccountFactory(owner=rm, playing_field=PlayingField.TOP_DOWN)
    bottom = AccountFactory(owner=rm, playing_field=PlayingField.BOTTOM_UP)
    ActivityFactory.create_batch(6, owner=rm, account=top, date=date(2026, 3, 2))
    ActivityFactory.create_batch(4, owner=rm, account=bottom, date=date(2026, 3, 20))
    ActivityFactory(owner=rm, account=top, kind=ActivityKind.APPOINTMENT, is_first_appointment=True,
                    date=date(2026, 3, 9))  # fmt: skip
    ActivityFactory(owner=rm, account=top, kind=ActivityKind.PROPOSAL, date=date(2026, 3, 16))
    OpportunityFactory(owner=rm, account=top, stage=Stage.WON, engage_date=date(2026, 2, 1),
                       close_date=date(2026, 3, 3), value=D("1000"))  # fmt: skip
    OpportunityFactory(owner=rm, account=top, stage=Stage.WON, engage_date=date(2026, 1, 20),
                       close_date=date(2026, 3, 11), value=D("3000"))  # fmt: skip
    OpportunityFactory(owner=rm, account=bottom, stage=Stage.LOST, close_date=date(2026, 3, 25))
    peer_account = AccountFactory(owner=peer)
    ActivityFactory.create_batch(10, owner=peer, account=peer_account, date=date(2026, 3, 5))
    ActivityFactory.create_batch(3, owner=peer, account=peer_account, kind=ActivityKind.APPOINTMENT,
                                 date=date(2026, 3, 12))  # fmt: skip
    ActivityFactory.create_batch(5, owner=org.rm_b1, date=date(2026, 3, 5))
    return org


# --- Access: every page, every role ---------------------------------------------------------------------

RM_ACCESS = [
    # viewer, RM whose dashboard, status
    ("rm_a1", "rm_a1", 200),
    ("rm_a1", "rm_a1_peer", 404),
    ("rm_a1", "leader_a1", 404),
    ("leader_a1", "rm_a1", 200),
    ("leader_a1", "rm_a1_peer", 200),
    ("leader_a1", "rm_a2", 404),
    ("leader_a1", "rm_b1", 404),
    ("director_a", "rm_a2", 200),
    ("director_a", "rm_b1", 404),
    ("director_a", "leader_a1", 404),  # a leader has no RM dashboard
    ("admin", "rm_b1", 200),
]


@pytest.mark.parametrize(("viewer", "subject", "status"), RM_ACCESS)
def test_rm_dashboard_answers_by_role_and_person(client, org, viewer, subject, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse("kpis:dashboard-rm", args=[getattr(org, subject).pk]), MARCH)
    assert response.status_code == status, f"{viewer} on {subject}'s dashboard"


@pytest.mark.parametrize(
    ("viewer", "team", "status"),
    [
        ("rm_a1", "team_a1", 404),  # an RM does not see their team's dashboard
        ("leader_a1", "team_a1", 200),
        ("leader_a1", "team_a2", 404),
        ("director_a", "team_a2", 200),
        ("director_a", "team_b1", 404),
        ("admin", "team_b1", 200),
    ],
)
def test_team_dashboard_answers_by_role_and_team(client, org, viewer, team, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse("kpis:dashboard-team", args=[getattr(org, team).pk]), MARCH)
    assert response.status_code == status, f"{viewer} on {team}'s dashboard"


@pytest.mark.parametrize(
    ("viewer", "region", "status"),
    [
        ("rm_a1", "region_a", 404),
        ("leader_a1", "region_a", 404),
        ("director_a", "region_a", 200),
        ("director_a", "region_b", 404),
        ("admin", "region_b", 200),
    ],
)
def test_region_dashboard_answers_by_role_and_region(client, org, viewer, region, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse("kpis:dashboard-region", args=[getattr(org, region).pk]), MARCH)
    assert response.status_code == status, f"{viewer} on {region}'s dashboard"


def test_team_dashboard_drills_down_to_its_rms_only(leader_client, org):
    page = leader_client.get(reverse("kpis:dashboard-team", args=[org.team_a1.pk]), MARCH).content.decode()
    own = reverse("kpis:dashboard-rm", args=[org.rm_a1.pk])
    assert f'href="{own}"' in page
    assert leader_client.get(own).status_code == 200
    other = reverse("kpis:dashboard-rm", args=[org.rm_a2.pk])
    assert other not in page
    assert leader_client.get(other).status_code == 404


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("rm_a1", lambda org: reverse("kpis:dashboard-rm", args=[org.rm_a1.pk])),
        ("leader_a1", lambda org: reverse("kpis:dashboard-team", args=[org.team_a1.pk])),
        ("director_a", lambda org: reverse("kpis:dashboard-region", args=[org.region_a.pk])),
    ],
)
def test_my_dashboard_sends_each_role_to_its_own(client, org, viewer, expected):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse("kpis:dashboard-mine"))
    assert response.status_code == 302 and response["Location"] == expected(org)


def test_my_dashboard_lists_every_region_and_team_for_the_admin(admin_client, org):
    response = admin_client.get(reverse("kpis:dashboard-mine"))
    page = response.content.decode()
    assert response.status_code == 200
    for region in (org.region_a, org.region_b):
        assert reverse("kpis:dashboard-region", args=[region.pk]) in page
    for team in (org.team_a1, org.team_a2, org.team_b1):
        assert reverse("kpis:dashboard-team", args=[team.pk]) in page


def test_a_leader_of_two_teams_can_switch_between_them(leader_client, org):
    org.team_a2.leader = org.leader_a1
    org.team_a2.save()
    response = leader_client.get(reverse("kpis:dashboard-team", args=[org.team_a1.pk]), MARCH)
    assert [t.name for t in response.context["siblings"]] == ["Team A1", "Team A2"]
    assert reverse("kpis:dashboard-team", args=[org.team_a2.pk]) in response.content.decode()


@pytest.mark.parametrize(
    ("viewer", "levels"),
    [
        ("rm_a1", ["rm"]),
        ("leader_a1", ["rm", "team"]),
        ("director_a", ["rm", "team", "region"]),
        ("admin", ["rm", "team", "region", "bank"]),
    ],
)
def test_funnel_levels_follow_the_role(client, org, viewer, levels):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse("kpis:funnel"))
    assert [value for value, _label in response.context["form"].fields["by"].choices] == levels


def test_funnel_refuses_a_level_above_the_role(leader_client, org):
    response = leader_client.get(reverse("kpis:funnel"), {"by": "region", "period": "2026"})
    assert "lines" not in response.context
    assert "Select a valid choice" in response.content.decode()
    export = leader_client.get(reverse("kpis:funnel-export"), {"by": "bank", "period": "2026"})
    assert export.status_code == 400


def test_funnel_shows_only_visible_people(rm_client, march):
    response = rm_client.get(reverse("kpis:funnel"), {"by": "rm", "period": "2026-03"})
    assert [line.owner.label for line in response.context["lines"]] == ["RM A1"]


# --- The funnel page: figures, band, standards, split ---------------------------------------------------


def test_funnel_figures_are_the_selectors_figures(leader_client, march):
    response = leader_client.get(reverse("kpis:funnel"), {"by": "rm", "period": "2026-03"})
    lines = {line.owner.label: line for line in response.context["lines"]}
    assert list(lines) == ["RM A1", "RM A1 peer"]
    rows = selectors.funnel(scope=Scope.RM, period=parse_period("2026-03"), viewer=march.leader_a1)
    f = next(r.funnel for r in rows if r.owner.id == march.rm_a1.pk)
    assert f.conversation_to_appointment == D("0.1") and f.closing_ratio == D(2) / D(3)
    conv, first_prop, closing, cycle, average = lines["RM A1"].cells
    assert (conv.figure, conv.counts) == ("10.0%", "1 ÷ 10")
    assert (conv.band, conv.band_label) == ("within", "within national band")
    assert (first_prop.figure, first_prop.counts) == ("100.0%", "1 ÷ 1")
    assert (closing.figure, closing.counts) == ("66.7%", "2 ÷ 3")
    assert cycle.figure == "40.0 / 40.0"  # (30 + 50) ÷ 2, median of 30 and 50
    assert (average.figure, average.counts) == ("2,000", "4,000 ÷ 2")
    peer = lines["RM A1 peer"].cells[0]
    assert (peer.figure, peer.band_label) == ("30.0%", "above national band")
    page = response.content.decode()
    assert "10.0%" in page and "within national band" in page and "30.0%" in page
    assert "above national band" in page


def test_funnel_shows_a_dash_when_the_denominator_is_zero(admin_client, march):
    response = admin_client.get(reverse("kpis:funnel"), {"by": "rm", "period": "2026-03"})
    rm_a2 = next(line for line in response.context["lines"] if line.owner.label == "RM A2")
    assert [cell.figure for cell in rm_a2.cells[:3]] == ["—", "—", "—"]
    assert rm_a2.cells[0].band is None


def test_funnel_holds_the_ratio_against_the_team_standard_only_when_there_is_one(admin_client, march):
    # Weekly levels are no ratio standard: team A1 gets one "as a share", team B1 only weekly levels.
    StandardFactory(team=march.team_a1, metric=_metric("appointments"), value=D("0.25"),
                    period=StandardPeriod.RATIO)  # fmt: skip
    StandardFactory(team=march.team_b1, metric=_metric("conversations"), value=D("15"))
    StandardFactory(team=march.team_b1, metric=_metric("appointments"), value=D("3"))
    response = admin_client.get(reverse("kpis:funnel"), {"by": "rm", "period": "2026-03"})
    lines = {line.owner.label: line for line in response.context["lines"]}
    rm_a1 = lines["RM A1"]
    assert rm_a1.standard_note == "team standard 25.0%"
    assert (rm_a1.cells[0].standard, rm_a1.cells[0].standard_status) == ("25.0%", "off_track")  # 10% vs 25%
    assert lines["RM B1"].standard_note == "no team standard"
    assert lines["RM B1"].cells[0].standard is None
    page = response.content.decode()
    assert "no team standard" in page and 'data-status="off_track"' in page


def test_funnel_shows_a_page_of_owners_and_the_export_all_of_them(admin_client, march, monkeypatch):
    from kpis.views import dashboards

    monkeypatch.setattr(dashboards, "FUNNEL_PAGE_SIZE", 2)
    params = {"by": "rm", "period": "2026-03"}
    pages = []
    for number in (1, 2):
        response = admin_client.get(reverse("kpis:funnel"), {**params, "page": number})
        pages.append({line.owner.label: line.cells[0].figure for line in response.context["lines"]})
        assert response.context["page_obj"].paginator.count == 4  # the four RMs
    labels = [label for page in pages for label in page]
    assert [len(p) for p in pages] == [2, 2] and labels == sorted(labels) and len(set(labels)) == 4
    assert pages[0]["RM A1"] == "10.0%"  # RM A1's own ratio (1 appointment of 10 conversations)
    assert 'aria-label="Pages"' in response.content.decode()
    export = _csv(admin_client.get(reverse("kpis:funnel-export"), params))
    assert len(export) == 4 + 1  # the CSV holds every RM, not a page


def test_funnel_by_team_and_by_region_for_a_director(director_client, march):
    url = reverse("kpis:funnel")
    teams = director_client.get(url, {"by": "team", "period": "2026-03"}).context["lines"]
    assert [line.owner.label for line in teams] == ["Team A1 (Leader A1)", "Team A2 (Leader A2)"]
    assert teams[0].cells[0].counts == "4 ÷ 20"  # 1 + 3 appointments over 10 + 10 conversations
    assert teams[0].url == reverse("kpis:dashboard-team", args=[march.team_a1.pk])
    regions = director_client.get(url, {"by": "region", "period": "2026-03"}).context["lines"]
    assert [(line.owner.label, line.cells[0].figure) for line in regions] == [("Region A", "20.0%")]
    assert regions[0].standard_note is None  # a region has no team standard


def test_a_bad_period_is_explained_and_nothing_is_shown(leader_client, march):
    response = leader_client.get(reverse("kpis:funnel"), {"by": "rm", "period": "2026-13"})
    page = response.content.decode()
    assert "“2026-13” is not a period: use a year (2026), a quarter (2026-Q2) or a month (2026-05)" in page
    assert "lines" not in response.context and 'data-testid="funnel-table"' not in page
    assert response.context["form"]["period"].value() == "2026-13"  # the input is kept


def test_the_funnel_opens_on_the_current_year_and_an_empty_period_means_all_time(
    leader_client, march, monkeypatch
):
    monkeypatch.setattr("kpis.views.dashboards.timezone.localdate", lambda: date(2026, 5, 14))
    opened = leader_client.get(reverse("kpis:funnel"))
    assert opened.context["period"].label == "2026" and opened.context["by"] == "rm"
    everything = leader_client.get(reverse("kpis:funnel"), {"by": "rm", "period": ""})
    assert everything.context["period"].is_all_time


def test_split_by_playing_field_shows_top_down_and_bottom_up_side_by_side(leader_client, march):
    response = leader_client.get(reverse("kpis:funnel"), {"by": "rm", "period": "2026-03", "split": "on"})
    assert [str(f) for f in response.context["fields"]] == ["Top-down", "Bottom-up"]
    rm_a1 = next(line for line in response.context["lines"] if line.owner.label == "RM A1")
    top_conv, bottom_conv, top_first, bottom_first, top_closing, bottom_closing = rm_a1.cells[:6]
    assert (top_conv.counts, bottom_conv.counts) == ("1 ÷ 6", "0 ÷ 4")
    assert (top_first.counts, bottom_first.counts) == ("1 ÷ 1", "0 ÷ 0")
    assert (top_closing.counts, bottom_closing.counts) == ("2 ÷ 2", "0 ÷ 1")
    assert len(rm_a1.cells) == 10
    page = response.content.decode()
    assert page.count('data-testid="playing-field-column"') == 10
    # rm_a1_peer's activity is on an account with no playing field: counted apart.
    assert response.context["left_out"].conversations == 10
    assert "Left out of the split" in page


# --- CSV export -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "period"), [("rm", "2026-03"), ("team", "2026-Q1"), ("bank", ""), ("region", "2026")]
)
def test_export_is_the_kpis_commands_csv(admin_client, march, by, period):
    response = admin_client.get(reverse("kpis:funnel-export"), {"by": by, "period": period})
    assert response["Content-Type"].startswith("text/csv")
    args = ["--by", by] + (["--period", period] if period else [])
    assert _csv(response) == _command_csv(*args)


def test_export_keeps_to_what_the_viewer_may_see(director_client, march):
    rows = _csv(director_client.get(reverse("kpis:funnel-export"), {"by": "team", "period": "2026-03"}))
    command = _command_csv("--by", "team", "--period", "2026-03")
    assert rows[0] == command[0]
    assert rows[1:] == [r for r in command[1:] if r[0].startswith(("Team A1", "Team A2"))]
    assert len(rows) == 3


def test_export_link_carries_the_level_and_period(leader_client, march):
    response = leader_client.get(reverse("kpis:funnel"), {"by": "team", "period": "2026-q1", "split": "on"})
    assert response.context["export_query"] == "by=team&period=2026-Q1"
    assert reverse("kpis:funnel-export") + "?by=team&amp;period=2026-Q1" in response.content.decode()


# --- The RM's dashboard ---------------------------------------------------------------------------------


@pytest.fixture
def planned(march):
    """Targets for 2026: rm_a1 120 conversations (10 a month) and 24,000 won revenue; team A1 standards of
    3 conversations a week and a 25% conversation → appointment ratio."""
    rm = march.rm_a1
    TargetFactory(user=rm, metric=_metric("conversations"), value=D("120"))
    TargetFactory(user=rm, metric=_metric("won-revenue"), value=D("24000"))
    StandardFactory(team=march.team_a1, metric=_metric("conversations"), value=D("3"))
    StandardFactory(team=march.team_a1, metric=_metric("appointments"), value=D("0.25"),
                    period=StandardPeriod.RATIO)  # fmt: skip
    return march


def test_rm_dashboard_figures_are_plan_versus_actual(leader_client, planned):
    rm = planned.rm_a1
    response = leader_client.get(reverse("kpis:dashboard-rm", args=[rm.pk]), MARCH)
    lines = {line.metric.code: line for line in response.context["lines"]}
    rows = selectors.plan_vs_actual(scope=Scope.RM, year=2026, month=3, viewer=planned.leader_a1,
                                    owner_ids=[rm.pk])  # fmt: skip
    assert list(lines) == [r.metric.code for r in rows]
    conv = lines["conversations"]  # plan 30 to the end of March, actual 10
    assert (conv.plan, conv.actual, conv.variance, conv.attainment, conv.status) == (
        "30",
        "10",
        "-20",
        "33.3%",
        "off_track",
    )
    revenue = lines["won-revenue"]  # plan 6,000, actual 4,000
    assert (revenue.plan, revenue.actual, revenue.attainment, revenue.status) == (
        "6,000",
        "4,000",
        "66.7%",
        "off_track",
    )
    assert lines["loans"].status == "no_plan"
    page = response.content.decode()
    assert "RM A1" in page and "Team A1" in page and "Year to date at the end of March 2026" in page
    assert 'data-testid="no-targets"' not in page


def test_rm_dashboard_holds_prospecting_against_the_teams_standards(leader_client, planned):
    response = leader_client.get(reverse("kpis:dashboard-rm", args=[planned.rm_a1.pk]), MARCH)
    activity = {line.label: line for line in response.context["activity_lines"]}
    # 10 conversations over the 90 days of January to March: 10 ÷ (90 ÷ 7) = 0.8 a week against 3.
    conversations = activity["Conversations"]
    assert (conversations.figure, conversations.standard, conversations.status) == (
        "0.8 per week",
        "3.0 per week",
        "off_track",
    )
    assert activity["Appointments"].no_standard
    ratios = {line.label: line for line in response.context["ratio_lines"]}
    conv = ratios["Conversation → appointment"]
    assert (conv.figure, conv.band, conv.standard, conv.status) == ("10.0%", "within", "25.0%", "off_track")
    assert ratios["Closing ratio"].no_standard and ratios["Closing ratio"].figure == "66.7%"
    assert ratios["Average revenue per sale"].figure == "2,000"


def test_rm_dashboard_charts_the_chosen_metrics_by_month(rm_client, planned):
    url = reverse("kpis:dashboard-rm", args=[planned.rm_a1.pk])
    charts = rm_client.get(url, MARCH).context["chart_data"]["charts"]
    assert [c["id"] for c in charts] == ["chart-won-revenue", "chart-conversations"]  # the defaults
    conv = charts[1]
    assert conv["plan"] == [10.0 * m for m in range(1, 13)]
    assert conv["actual"] == [0.0, 0.0, 10.0] + [None] * 9
    page = rm_client.get(url, MARCH).content.decode()
    assert '<script id="chart-data" type="application/json">' in page
    assert 'id="chart-conversations"' in page and "js/dashboards.js" in page
    chosen = rm_client.get(url, {**MARCH, "charts": "1", "metrics": ["loans"]}).context["chart_data"][
        "charts"
    ]
    assert [c["id"] for c in chosen] == ["chart-loans"]
    none = rm_client.get(url, {**MARCH, "charts": "1"})
    assert none.context["chart_data"]["charts"] == [] and 'data-testid="no-charts"' in none.content.decode()


def test_monthly_series_ends_on_the_plan_versus_actual_figures(org):
    """The charts' last month is the table's figure: flows cumulated, balances at the latest month end."""
    rm = org.rm_a1
    loans, won = _metric("loans"), _metric("won-revenue")
    account = AccountFactory(owner=rm)
    for month_end, balance in ((date(2026, 1, 31), "100"), (date(2026, 2, 28), "150")):
        BalanceSnapshotFactory(account=account, metric=loans, month_end=month_end, balance=D(balance))
    BalanceSnapshotFactory(account=AccountFactory(owner=org.rm_b1), metric=loans, month_end=date(2026, 4, 30))
    TargetFactory(user=rm, metric=loans, value=D("220"), baseline=D("100"))
    TargetFactory(user=rm, metric=won, value=D("1200"))
    OpportunityFactory(owner=rm, stage=Stage.WON, close_date=date(2026, 1, 10), value=D("300"))
    OpportunityFactory(owner=rm, stage=Stage.WON, close_date=date(2026, 4, 2), value=D("200"))
    series = {
        s.metric.code: s
        for s in selectors.monthly_series(
            scope=Scope.RM, owner_id=rm.pk, metrics=[loans, won], year=2026, month=4, viewer=org.leader_a1
        )
    }
    # April has a snapshot (rm_b1's) but none of rm_a1's: the latest month end counts, as in the table.
    assert series["loans"].actual[:4] == [D("100"), D("150"), D("150"), D("0")]
    assert series["won-revenue"].actual[:5] == [D("300"), D("300"), D("300"), D("500"), None]
    assert series["loans"].plan[0] == D("110") and series["loans"].plan[11] == D("220")
    for month in (1, 2, 3, 4):
        rows = selectors.plan_vs_actual(scope=Scope.RM, year=2026, month=month, viewer=org.leader_a1,
                                        metrics=[loans, won], owner_ids=[rm.pk])  # fmt: skip
        for row in rows:
            assert series[row.metric.code].actual[month - 1] == row.actual, (row.metric.code, month)
            assert series[row.metric.code].plan[month - 1] == row.plan, (row.metric.code, month)


def test_rm_dashboard_says_when_the_year_has_no_targets(rm_client, march):
    response = rm_client.get(
        reverse("kpis:dashboard-rm", args=[march.rm_a1.pk]), {"year": "2025", "month": "12"}
    )
    page = response.content.decode()
    assert "No targets for 2025 yet: a leader sets them under Targets." in page
    assert all(line.status == "no_plan" for line in response.context["lines"])


def test_rm_dashboard_opens_on_the_latest_closed_month(rm_client, march, monkeypatch):
    monkeypatch.setattr("kpis.views.dashboards.timezone.localdate", lambda: date(2026, 5, 14))
    response = rm_client.get(reverse("kpis:dashboard-rm", args=[march.rm_a1.pk]))
    assert (response.context["year"], response.context["month"]) == (2026, 4)
    monkeypatch.setattr("kpis.views.dashboards.timezone.localdate", lambda: date(2027, 1, 5))
    january = rm_client.get(reverse("kpis:dashboard-rm", args=[march.rm_a1.pk]))
    assert (january.context["year"], january.context["month"]) == (2026, 12)
    past = rm_client.get(reverse("kpis:dashboard-rm", args=[march.rm_a1.pk]), {"year": "2025"})
    assert past.context["month"] == 12


def test_rm_dashboard_refuses_a_month_that_does_not_exist(rm_client, march):
    response = rm_client.get(
        reverse("kpis:dashboard-rm", args=[march.rm_a1.pk]), {"year": "2026", "month": "13"}
    )
    assert "Select a valid choice" in response.content.decode() and "lines" not in response.context


# --- The team's and the region's dashboards -------------------------------------------------------------


@pytest.fixture
def team_targets(planned):
    """Won-revenue targets: rm_a1 24,000 (6,000 to March, 4,000 won), rm_a1_peer 4,000 (1,000 to March,
    none won); team A1 30,000 against 28,000 from its RMs; team A2 12,000."""
    org = planned
    won = _metric("won-revenue")
    TargetFactory(user=org.rm_a1_peer, metric=won, value=D("4000"))
    TargetFactory(user=None, team=org.team_a1, metric=won, value=D("30000"))
    TargetFactory(user=None, team=org.team_a2, metric=won, value=D("12000"))
    OpportunityFactory(owner=org.rm_a2, stage=Stage.WON, close_date=date(2026, 2, 2), value=D("3000"))
    return org


def test_team_dashboard_has_one_line_per_rm_with_status_colours(leader_client, team_targets):
    org = team_targets
    response = leader_client.get(reverse("kpis:dashboard-team", args=[org.team_a1.pk]), MARCH)
    metrics = [m.code for m in response.context["metrics"]]
    assert metrics == ["loans", "dda", "won-revenue", "new-clients", "conversations", "hv-retention"]
    lines = {line.owner.label: line for line in response.context["lines"]}
    assert list(lines) == ["RM A1", "RM A1 peer"]
    won = metrics.index("won-revenue")
    assert (lines["RM A1"].cells[won].attainment, lines["RM A1"].cells[won].status) == ("66.7%", "off_track")
    assert (lines["RM A1 peer"].cells[won].attainment, lines["RM A1 peer"].cells[won].status) == (
        "0.0%",
        "off_track",
    )
    assert lines["RM A1"].cells[metrics.index("conversations")].attainment == "33.3%"
    assert lines["RM A1"].cells[metrics.index("loans")].status == "no_plan"
    assert lines["RM A1"].url == reverse("kpis:dashboard-rm", args=[org.rm_a1.pk])
    total = response.context["total"][0].cells[won]  # 4,000 won against 7,500 planned to March
    assert (total.attainment, total.status) == ("53.3%", "off_track")
    page = response.content.decode()
    assert page.count('data-testid="owner-row"') == 2 and 'data-testid="total-row"' in page
    assert 'data-status="off_track"' in page and "text-bg-danger" in page
    chart = response.context["chart_data"]["charts"][0]
    assert (chart["labels"], chart["values"], chart["statuses"]) == (
        ["RM A1", "RM A1 peer"],
        [66.7, 0.0],
        ["off_track", "off_track"],
    )


def test_team_dashboard_flags_the_gap_between_team_and_rm_targets(leader_client, team_targets):
    org = team_targets
    response = leader_client.get(reverse("kpis:dashboard-team", args=[org.team_a1.pk]), MARCH)
    gaps = {gap.metric.code: gap for gap in response.context["gaps"]}
    assert (gaps["won-revenue"].team_target, gaps["won-revenue"].rm_total, gaps["won-revenue"].gap) == (
        "30,000",
        "28,000",
        "-2,000",
    )
    assert gaps["won-revenue"].flag == "short"
    assert 'data-flag="short"' in response.content.decode()


def test_team_dashboard_empty_states(leader_client, org):
    url = reverse("kpis:dashboard-team", args=[org.team_a1.pk])
    page = leader_client.get(url, MARCH).content.decode()
    assert "No targets for 2026 yet: a leader sets them under Targets." in page
    assert "No team targets for 2026 yet." in page
    org.rm_a1.team = org.rm_a1_peer.team = None
    org.rm_a1.save()
    org.rm_a1_peer.save()
    assert "This team has no relationship managers yet." in leader_client.get(url, MARCH).content.decode()


def test_region_dashboard_compares_its_teams(director_client, team_targets):
    org = team_targets
    response = director_client.get(reverse("kpis:dashboard-region", args=[org.region_a.pk]), MARCH)
    lines = response.context["lines"]
    assert [line.owner.label for line in lines] == ["Team A1 (Leader A1)", "Team A2 (Leader A2)"]
    assert [line.url for line in lines] == [
        reverse("kpis:dashboard-team", args=[org.team_a1.pk]),
        reverse("kpis:dashboard-team", args=[org.team_a2.pk]),
    ]
    won = [m.code for m in response.context["metrics"]].index("won-revenue")
    # team A2: 3,000 won against 3,000 planned to March
    assert [(line.cells[won].attainment, line.cells[won].status) for line in lines] == [
        ("53.3%", "off_track"),
        ("100.0%", "on_track"),
    ]
    assert response.context["total"][0].cells[won].status == "no_plan"  # region A has no target
    chart = response.context["chart_data"]["charts"][0]
    assert chart["values"] == [53.3, 100.0] and chart["statuses"] == ["off_track", "on_track"]
    page = response.content.decode()
    assert 'class="breadcrumb-item active" aria-current="page">Region A<' in page


def test_breadcrumbs_lead_up_as_far_as_the_viewer_may_go(client, org):
    url = reverse("kpis:dashboard-rm", args=[org.rm_a1.pk])
    client.force_login(org.director_a)
    page = client.get(url, MARCH).content.decode()
    assert reverse("kpis:dashboard-region", args=[org.region_a.pk]) in page
    assert reverse("kpis:dashboard-team", args=[org.team_a1.pk]) in page
    client.force_login(org.rm_a1)
    page = client.get(url, MARCH).content.decode()
    assert reverse("kpis:dashboard-team", args=[org.team_a1.pk]) not in page


# --- Query budgets --------------------------------------------------------------------------------------


def _grow(org, per_team: int) -> None:
    """Each team up to `per_team` RMs, each with activities, deals, balances and 2026 targets."""
    loans, dda, won, conversations = (_metric(c) for c in ("loans", "dda", "won-revenue", "conversations"))
    for team in (org.team_a1, org.team_a2, org.team_b1):
        for _ in range(per_team - team.members.count()):
            rm = RMFactory(team=team)
            account = AccountFactory(owner=rm, playing_field=PlayingField.TOP_DOWN, is_high_value=True,
                                     client_since=date(2025, 1, 1))  # fmt: skip
            ActivityFactory.create_batch(3, owner=rm, account=account, date=date(2026, 2, 3))
            ActivityFactory(owner=rm, account=account, kind=ActivityKind.APPOINTMENT, is_first_appointment=True,
                            date=date(2026, 2, 10))  # fmt: skip
            OpportunityFactory(owner=rm, account=account, stage=Stage.WON, close_date=date(2026, 3, 1))
            OpportunityFactory(owner=rm, account=account, stage=Stage.LOST, close_date=date(2026, 3, 2))
            for balance in (loans, dda):
                BalanceSnapshotFactory(account=account, metric=balance, month_end=date(2026, 2, 28))
            TargetFactory(user=rm, metric=loans, value=D("200000"), baseline=D("100000"))
            TargetFactory(user=rm, metric=won, value=D("50000"))
            TargetFactory(user=rm, metric=conversations, value=D("600"))
        for metric in (won, conversations):
            TargetFactory._meta.model.objects.get_or_create(
                team=team, metric=metric, year=2026, defaults={"value": D("100000")}
            )
        StandardFactory._meta.model.objects.get_or_create(
            team=team, metric=conversations, defaults={"value": D("15"), "period": StandardPeriod.WEEK}
        )


# SQLite has no median aggregate: the funnel reads the won deals' cycle lengths in one more query.
MEDIAN = 0 if connection.vendor == "postgresql" else 1
# Actuals cost one aggregate per source table, whatever the number of metrics or owners. The key metrics
# (loans, DDA, won revenue, new clients, conversations, high-value retention): the latest month end of
# each balance metric (2) then one sum of both balances, accounts (new clients and retention), won deals,
# activities.
KEY_ACTUALS = 6
# All active metrics: the same, plus the forecasts (forecast accuracy; its actual, won revenue, is read
# with the won deals, as are wins and the product mixes).
ALL_ACTUALS = 7


def _same_queries_at_two_sizes(client, org, url, params, n, django_assert_num_queries):
    for size in (3, 15):
        _grow(org, size)
        with django_assert_num_queries(n):
            assert client.get(url, params).status_code == 200


def test_funnel_query_count_does_not_grow(director_client, org, django_assert_num_queries):
    # session, user (its role annotated), activities grouped, closed deals grouped (with the median on
    # PostgreSQL), owners (the region's RMs or teams), the teams' standards
    url = reverse("kpis:funnel")
    for params in ({"by": "team", "period": "2026"}, {"by": "rm", "period": "2026", "split": "on"}):
        _same_queries_at_two_sizes(director_client, org, url, params, 6 + MEDIAN, django_assert_num_queries)


def test_export_query_count_does_not_grow(admin_client, org, django_assert_num_queries):
    # session, user, activities grouped, closed deals grouped, owners (RMs)
    url = reverse("kpis:funnel-export")
    for size in (3, 15):
        _grow(org, size)
        with django_assert_num_queries(5 + MEDIAN):
            response = admin_client.get(url, {"by": "rm", "period": "2026"})
            assert len(_csv(response)) == 3 * size + 1


def test_rm_dashboard_query_count_does_not_grow(leader_client, org, django_assert_num_queries):
    # session, user, the RM (team, region, leader joined), active metrics; plan versus actual: owners,
    # targets and the actuals of all active metrics; monthly series: the RM's targets and one grouped query
    # per charted metric (2); funnel: activities, closed deals, owners; the team's standards
    assert Metric.objects.filter(is_active=True).count() == 14  # one query per table, not per metric
    n = 4 + (2 + ALL_ACTUALS) + (1 + 2) + (3 + MEDIAN) + 1
    url = reverse("kpis:dashboard-rm", args=[org.rm_a1.pk])
    _same_queries_at_two_sizes(leader_client, org, url, MARCH, n, django_assert_num_queries)


def test_team_dashboard_query_count_does_not_grow(leader_client, org, django_assert_num_queries):
    # session, user, the team (region, leader joined), the region's teams for switching, key metrics;
    # plan versus actual of the RMs and of the team together: owners and targets for each, the team of each
    # person, and the key actuals once (the team's are its RMs' summed); the team's targets and the sum of
    # its RMs' targets
    n = 5 + (2 * 2 + 1 + KEY_ACTUALS) + 2
    url = reverse("kpis:dashboard-team", args=[org.team_a1.pk])
    _same_queries_at_two_sizes(leader_client, org, url, MARCH, n, django_assert_num_queries)


def test_region_dashboard_query_count_does_not_grow(director_client, org, django_assert_num_queries):
    # session, user, the region (director joined), the director's regions for switching, key metrics; plan
    # versus actual of the teams and of the region together: owners (the visible teams, then kept to the
    # region) and targets for each, the team and region of each person, and the key actuals once
    n = 5 + (2 * 2 + 1 + KEY_ACTUALS)
    url = reverse("kpis:dashboard-region", args=[org.region_a.pk])
    _same_queries_at_two_sizes(director_client, org, url, MARCH, n, django_assert_num_queries)


def test_region_dashboard_for_the_admin_lists_that_regions_teams_only(admin_client, org):
    # The admin sees every team; the region's page keeps its own.
    response = admin_client.get(reverse("kpis:dashboard-region", args=[org.region_a.pk]), MARCH)
    assert [line.owner.label for line in response.context["lines"]] == [
        "Team A1 (Leader A1)", "Team A2 (Leader A2)",
    ]  # fmt: skip
    response = admin_client.get(reverse("kpis:dashboard-region", args=[org.region_b.pk]), MARCH)
    assert [line.owner.id for line in response.context["lines"]] == [org.team_b1.pk]
