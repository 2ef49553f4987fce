"""The kpis record pages: who reaches what, the quick log, deals and their financial case, targets, team
standards with each RM's figures, the forecast grid, and the query budgets of the lists."""

import datetime
from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team
from kpis import calculations as calc
from kpis.models import (
    Activity,
    ActivityKind,
    Forecast,
    Metric,
    Opportunity,
    Stage,
    StageChange,
    StandardPeriod,
    Target,
)
from tests.factories.kpis import (
    ActivityFactory,
    DistributionFactory,
    ForecastFactory,
    OpportunityFactory,
    ProductFactory,
    StandardFactory,
    TargetFactory,
)
from tests.factories.targeting import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db
RMS = ("rm_a1", "rm_a1_peer", "rm_a2", "rm_b1")


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


@pytest.fixture
def today(monkeypatch):
    """Pages read the day from timezone.localdate(): pin it to 14 January 2026 (two weeks into the year)."""
    day = date(2026, 1, 14)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
    return day


@pytest.fixture
def records(org):
    """Per RM: an account named after them with one contact, one conversation, one deal and a 2026
    conversations target. Per team: a conversations standard."""
    made = {}
    for who in RMS:
        rm = getattr(org, who)
        account = AccountFactory(owner=rm, legal_name=f"Account of {who}")
        made[who] = {
            "account": account,
            "contact": ContactFactory(account=account, name=f"Contact of {who}"),
            "activity": ActivityFactory(owner=rm, account=account, outcome=f"Talked to {who}"),
            "deal": OpportunityFactory(owner=rm, account=account, name=f"Deal of {who}"),
            "target": TargetFactory(user=rm, metric=metric("conversations"), value=D("690")),
        }
    for team in ("team_a1", "team_a2", "team_b1"):
        made[team] = StandardFactory(team=getattr(org, team), metric=metric("conversations"), value=D("15"))
    return made


# --- Access: every page, every role, own against others' records -------------------------------------

ACCESS = [
    # viewer, owner of the record, status
    ("rm_a1", "rm_a1", 200),
    ("rm_a1", "rm_a1_peer", 404),
    ("rm_a1", "rm_b1", 404),
    ("leader_a1", "rm_a1", 200),
    ("leader_a1", "rm_a1_peer", 200),
    ("leader_a1", "rm_a2", 404),
    ("leader_a1", "rm_b1", 404),
    ("director_a", "rm_a2", 200),
    ("director_a", "rm_b1", 404),
    ("admin", "rm_b1", 200),
]


@pytest.mark.parametrize("name", ["kpis:activity-update", "kpis:activity-delete"])
@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_activity_pages_answer_by_role_and_owner(client, org, records, name, viewer, owner, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse(name, args=[records[owner]["activity"].pk]))
    assert response.status_code == status, f"{viewer} on {owner}'s activity: {name}"


@pytest.mark.parametrize(
    "name", ["kpis:opportunity-detail", "kpis:opportunity-update", "kpis:opportunity-delete"]
)
@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_opportunity_pages_answer_by_role_and_owner(client, org, records, name, viewer, owner, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse(name, args=[records[owner]["deal"].pk]))
    assert response.status_code == status, f"{viewer} on {owner}'s deal: {name}"


@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_contacts_of_an_account_answer_by_role_and_owner(client, org, records, viewer, owner, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse("kpis:activity-contacts"), {"account": records[owner]["account"].pk})
    assert response.status_code == status
    if status == 200:
        assert f"Contact of {owner}" in response.content.decode()


@pytest.mark.parametrize("name", ["kpis:target-update", "kpis:target-delete"])
@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_rm_target_pages_answer_by_role_and_owner(client, org, records, name, viewer, owner, status):
    # An RM sees their own target but sets none: 403 on their own, 404 on anyone else's.
    expected = 403 if viewer.startswith("rm_") and status == 200 else status
    client.force_login(getattr(org, viewer))
    assert client.get(reverse(name, args=[records[owner]["target"].pk])).status_code == expected


@pytest.mark.parametrize(
    ("viewer", "owner_kind", "owner", "status"),
    [
        ("rm_a1", "team", "team_a1", 404),
        ("leader_a1", "team", "team_a1", 200),
        ("leader_a1", "team", "team_a2", 404),
        ("leader_a1", "region", "region_a", 404),
        ("director_a", "team", "team_a2", 200),
        ("director_a", "region", "region_a", 200),
        ("director_a", "region", "region_b", 404),
        ("director_a", "team", "team_b1", 404),
        ("admin", "region", "region_b", 200),
    ],
)
def test_team_and_region_target_pages_answer_by_role(client, org, viewer, owner_kind, owner, status):
    target = TargetFactory(user=None, **{owner_kind: getattr(org, owner)}, metric=metric("wins"))
    client.force_login(getattr(org, viewer))
    assert client.get(reverse("kpis:target-update", args=[target.pk])).status_code == status


@pytest.mark.parametrize("name", ["kpis:standard-update", "kpis:standard-delete"])
@pytest.mark.parametrize(
    ("viewer", "team", "status"),
    [
        ("rm_a1", "team_a1", 403),  # sees the team's standards, sets none
        ("rm_a1", "team_a2", 404),
        ("leader_a1", "team_a1", 200),
        ("leader_a1", "team_a2", 404),
        ("director_a", "team_a2", 200),
        ("director_a", "team_b1", 404),
        ("admin", "team_b1", 200),
    ],
)
def test_standard_pages_answer_by_role_and_team(client, org, records, name, viewer, team, status):
    client.force_login(getattr(org, viewer))
    assert client.get(reverse(name, args=[records[team].pk])).status_code == status


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("kpis:activity-update", {"kind": "conversation", "date": "2026-03-01", "outcome": "Stolen"}),
        ("kpis:activity-delete", {}),
        ("kpis:opportunity-update", {"stage": "lost", "currency": "EUR"}),
        ("kpis:opportunity-delete", {}),
    ],
)
def test_rm_posting_to_another_rms_records_gets_404_and_changes_nothing(rm_client, records, name, data):
    peer = records["rm_a1_peer"]
    pk = peer["activity"].pk if "activity" in name else peer["deal"].pk
    data = {**data, "account": peer["account"].pk}
    assert rm_client.post(reverse(name, args=[pk]), data).status_code == 404
    peer["activity"].refresh_from_db()
    peer["deal"].refresh_from_db()
    assert (peer["activity"].outcome, peer["deal"].stage) == ("Talked to rm_a1_peer", Stage.ENGAGING)


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("rm_a1", ["rm_a1"]),
        ("leader_a1", ["rm_a1", "rm_a1_peer"]),
        ("director_a", ["rm_a1", "rm_a1_peer", "rm_a2"]),
        ("admin", list(RMS)),
    ],
)
def test_lists_show_only_visible_activities_and_deals(client, org, records, viewer, visible):
    client.force_login(getattr(org, viewer))
    activities = client.get(reverse("kpis:activity-list")).context["page_obj"].object_list
    assert sorted(a.outcome for a in activities) == sorted(f"Talked to {who}" for who in visible)
    deals = client.get(reverse("kpis:opportunity-list")).context["page_obj"].object_list
    assert sorted(d.name for d in deals) == sorted(f"Deal of {who}" for who in visible)


@pytest.mark.parametrize(
    ("viewer", "owners"),
    [
        ("rm_a1", ["RM A1"]),
        ("leader_a1", ["RM A1", "RM A1 peer", "Team A1"]),
        ("director_a", ["RM A1", "RM A1 peer", "RM A2", "Region A", "Team A1", "Team A2"]),
        (
            "admin",
            [
                "RM A1",
                "RM A1 peer",
                "RM A2",
                "RM B1",
                "Region A",
                "Region B",
                "Team A1",
                "Team A2",
                "Team B1",
            ],
        ),
    ],
)
def test_target_list_shows_the_targets_the_viewer_may_see(client, org, records, viewer, owners):
    for team in (org.team_a1, org.team_a2, org.team_b1):
        TargetFactory(user=None, team=team, metric=metric("conversations"), value=D("1000"))
    for region in (org.region_a, org.region_b):
        TargetFactory(user=None, region=region, metric=metric("conversations"), value=D("3000"))
    client.force_login(getattr(org, viewer))
    groups = client.get(reverse("kpis:target-list"), {"year": 2026}).context["groups"]
    assert sorted(str(g.owner) for g in groups) == sorted(owners)


@pytest.mark.parametrize(
    ("viewer", "teams"),
    [
        ("rm_a1", ["Team A1"]),
        ("leader_a1", ["Team A1"]),
        ("director_a", ["Team A1", "Team A2"]),
        ("admin", ["Team A1", "Team A2", "Team B1"]),
    ],
)
def test_standard_list_shows_the_teams_the_viewer_may_see(client, org, records, today, viewer, teams):
    client.force_login(getattr(org, viewer))
    shown = client.get(reverse("kpis:standard-list")).context["teams"]
    assert [t["team"].name for t in shown] == teams


def test_an_rm_guessing_another_rms_forecasts_gets_404(rm_client, org):
    url = reverse("kpis:forecast-list")
    assert rm_client.get(url, {"owner": org.rm_a1_peer.pk}).status_code == 404
    assert rm_client.get(url, {"owner": org.rm_a1.pk}).status_code == 200


def test_a_leader_opens_their_rms_forecasts_not_another_teams(leader_client, org):
    url = reverse("kpis:forecast-list")
    assert leader_client.get(url, {"owner": org.rm_a1_peer.pk}).context["owner"] == org.rm_a1_peer
    assert leader_client.get(url, {"owner": org.rm_a2.pk}).status_code == 404


# --- Activity list --------------------------------------------------------------------------------------


def _outcomes(response) -> list[str]:
    return [a.outcome for a in response.context["page_obj"].object_list]


def test_activity_list_filters_by_kind_dates_and_account(rm_client, rm):
    bakery = AccountFactory(owner=rm, legal_name="Boulangerie Dupont")
    garage = AccountFactory(owner=rm, legal_name="Garage Martin")
    ActivityFactory(owner=rm, account=bakery, date=date(2026, 1, 5), outcome="call")
    ActivityFactory(owner=rm, account=bakery, date=date(2026, 2, 5), outcome="meeting",
                    kind=ActivityKind.APPOINTMENT, is_first_appointment=True)  # fmt: skip
    ActivityFactory(
        owner=rm, account=garage, date=date(2026, 3, 5), outcome="offer", kind=ActivityKind.PROPOSAL
    )
    url = reverse("kpis:activity-list")
    assert _outcomes(rm_client.get(url)) == ["offer", "meeting", "call"]
    assert _outcomes(rm_client.get(url, {"kind": "appointment"})) == ["meeting"]
    assert _outcomes(rm_client.get(url, {"date_from": "2026-02-01", "date_to": "2026-02-28"})) == ["meeting"]
    assert _outcomes(rm_client.get(url, {"q": "dupont"})) == ["meeting", "call"]
    assert _outcomes(rm_client.get(url, {"ordering": "kind"})) == ["meeting", "call", "offer"]
    page = rm_client.get(url).content.decode()
    assert 'data-testid="first-badge"' in page
    assert reverse("targeting:account-detail", args=[bakery.pk]) in page


def test_activity_list_owner_filter_for_a_leader(leader_client, org, records):
    response = leader_client.get(reverse("kpis:activity-list"), {"owner": org.rm_a1_peer.pk})
    assert _outcomes(response) == ["Talked to rm_a1_peer"]
    assert list(response.context["filter"].form.fields["owner"].queryset) == [org.rm_a1, org.rm_a1_peer]
    assert _outcomes(leader_client.get(reverse("kpis:activity-list"), {"owner": org.rm_b1.pk})) == []


def test_activity_list_has_an_empty_state(rm_client):
    page = rm_client.get(reverse("kpis:activity-list")).content.decode()
    assert "No activity logged yet." in page


def test_activity_list_pages_by_25(rm_client, rm):
    account = AccountFactory(owner=rm)
    ActivityFactory.create_batch(30, owner=rm, account=account)
    response = rm_client.get(reverse("kpis:activity-list"))
    assert len(response.context["page_obj"].object_list) == 25
    assert response.context["page_obj"].paginator.num_pages == 2


def _grow_activities(org, n: int) -> None:
    for who in ("rm_a1", "rm_a1_peer"):
        rm = getattr(org, who)
        account = AccountFactory(owner=rm)
        contact = ContactFactory(account=account)
        ActivityFactory.create_batch(n, owner=rm, account=account, contact=contact)


def test_activity_list_query_count_does_not_grow_with_rows(leader_client, org, django_assert_num_queries):
    url = reverse("kpis:activity-list")
    # session, user (role annotated), count, page of activities (account, contact and owner joined), owners
    # for the filter
    _grow_activities(org, 3)
    with django_assert_num_queries(5):
        assert leader_client.get(url).status_code == 200
    _grow_activities(org, 20)
    with django_assert_num_queries(5):
        assert leader_client.get(url).status_code == 200


# --- Quick log -------------------------------------------------------------------------------------------


@pytest.fixture
def account(rm):
    return AccountFactory(owner=rm, legal_name="Fromagerie Besnier")


def _log(client, **data):
    base = {"kind": "conversation", "date": "2026-01-14", "outcome": "Appointment set"}
    return client.post(reverse("kpis:activity-create"), {**base, **data})


@pytest.mark.parametrize(
    ("kind", "first", "message"),
    [
        ("conversation", False, "Conversation logged."),
        ("appointment", False, "Appointment logged."),
        ("appointment", True, "First appointment logged."),
        ("proposal", False, "Proposal logged."),
    ],
)
def test_quick_log_saves_each_kind(rm_client, rm, account, kind, first, message):
    contact = ContactFactory(account=account)
    data = {"kind": kind, "account": account.pk, "contact": contact.pk}
    if first:
        data["is_first_appointment"] = "on"
    response = _log(rm_client, **data)
    assert response.status_code == 302 and response["Location"] == reverse("kpis:activity-list")
    activity = Activity.objects.get()
    assert (activity.owner, activity.kind, activity.is_first_appointment) == (rm, kind, first)
    assert (activity.contact, activity.date) == (contact, date(2026, 1, 14))
    assert message in rm_client.get(response["Location"]).content.decode()


def test_save_and_log_another_comes_back_with_kind_and_account_chosen(rm_client, account):
    response = _log(rm_client, kind="appointment", account=account.pk, another="1")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('kpis:activity-create')}?kind=appointment&account={account.pk}"
    form = rm_client.get(response["Location"]).context["form"]
    assert (form["kind"].value(), form["account"].value()) == ("appointment", account.pk)


def test_quick_log_offers_the_rms_own_accounts_by_name_and_today(rm_client, org, rm, today):
    AccountFactory(owner=rm, legal_name="Zinc SA")
    AccountFactory(owner=rm, legal_name="Atelier SARL")
    AccountFactory(owner=org.rm_a1_peer, legal_name="Peer's account")
    form = rm_client.get(reverse("kpis:activity-create")).context["form"]
    assert [a.legal_name for a in form.fields["account"].queryset] == ["Atelier SARL", "Zinc SA"]
    assert form["date"].value() == today
    assert "owner" not in form.fields  # an RM logs for themself


def test_quick_log_preselects_the_account_from_the_account_page(rm_client, account):
    ContactFactory(account=account, name="Hélène Besnier")
    response = rm_client.get(reverse("kpis:activity-create"), {"account": account.pk})
    assert response.context["form"]["account"].value() == account.pk
    assert "Hélène Besnier" in response.content.decode()  # the account's contacts are offered


def test_first_appointment_on_a_conversation_is_refused(rm_client, account):
    response = _log(rm_client, kind="conversation", account=account.pk, is_first_appointment="on")
    assert response.status_code == 400
    assert "Only an appointment can be a first appointment" in response.content.decode()
    assert not Activity.objects.exists()
    assert response.context["form"]["outcome"].value() == "Appointment set"  # the input is kept


def test_contact_of_another_account_is_refused_with_a_clear_message(rm_client, rm, account):
    other = AccountFactory(owner=rm, legal_name="Garage Martin")
    contact = ContactFactory(account=other, name="Jean Martin")
    response = _log(rm_client, account=account.pk, contact=contact.pk)
    assert response.status_code == 400
    assert "Jean Martin works for Garage Martin, not for Fromagerie Besnier." in response.content.decode()
    assert not Activity.objects.exists()


def test_account_of_another_rm_is_refused_with_a_clear_message(rm_client, records):
    response = _log(rm_client, account=records["rm_a1_peer"]["account"].pk)
    assert response.status_code == 400
    assert "Choose one of the accounts you work on." in response.content.decode()
    assert Activity.objects.count() == len(RMS)  # only the fixture's


def test_a_leader_logs_for_one_of_their_rms(leader_client, org, records):
    form = leader_client.get(reverse("kpis:activity-create")).context["form"]
    assert list(form.fields["owner"].queryset) == [org.rm_a1, org.rm_a1_peer]
    peer_account = records["rm_a1_peer"]["account"]
    # No owner chosen: the account's owner.
    assert _log(leader_client, account=peer_account.pk, outcome="by the leader").status_code == 302
    assert Activity.objects.get(outcome="by the leader").owner == org.rm_a1_peer
    # An RM chosen who does not work on the account: the service's message, nothing saved.
    response = _log(leader_client, account=peer_account.pk, owner=org.rm_a1.pk, outcome="wrong")
    assert response.status_code == 400
    assert "RM A1 cannot work on this account." in response.content.decode()
    # Another team's RM or account is not on offer.
    response = _log(leader_client, account=records["rm_a2"]["account"].pk, outcome="elsewhere")
    assert response.status_code == 400 and not Activity.objects.filter(outcome="elsewhere").exists()


def test_activity_contacts_endpoint_lists_the_accounts_contacts(rm_client, account):
    ContactFactory(account=account, name="Hélène Besnier")
    ContactFactory(account=AccountFactory(owner=account.owner), name="Someone else")
    page = rm_client.get(reverse("kpis:activity-contacts"), {"account": account.pk}).content.decode()
    assert "Hélène Besnier" in page and "Someone else" not in page and "<option" in page


def test_an_activity_is_corrected_and_deleted_after_confirmation(rm_client, records):
    activity = records["rm_a1"]["activity"]
    account = records["rm_a1"]["account"]
    url = reverse("kpis:activity-update", args=[activity.pk])
    response = rm_client.post(url, {"kind": "proposal", "account": account.pk, "date": "2026-02-02"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.kind, activity.date) == (ActivityKind.PROPOSAL, date(2026, 2, 2))
    url = reverse("kpis:activity-delete", args=[activity.pk])
    assert 'method="post"' in rm_client.get(url).content.decode()
    assert rm_client.post(url).status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists()


# --- Opportunities --------------------------------------------------------------------------------------


def _deal_data(account, **extra):
    data = {"account": account.pk, "stage": "prospecting", "currency": "EUR", "value": "25000"}
    return {**data, **extra}


def test_opportunity_stage_changes_are_recorded_in_the_history(rm_client, rm, account, today):
    response = rm_client.post(reverse("kpis:opportunity-create"), _deal_data(account, name="Term loan"))
    deal = Opportunity.objects.get()
    assert response["Location"] == deal.get_absolute_url()
    url = reverse("kpis:opportunity-update", args=[deal.pk])
    rm_client.post(url, _deal_data(account, name="Term loan", stage="proposal"))
    rm_client.post(
        url, _deal_data(account, name="Term loan", stage="proposal", value="30000")
    )  # no stage change
    rm_client.post(url, _deal_data(account, name="Term loan", stage="won"))
    deal.refresh_from_db()
    assert (deal.stage, deal.close_date) == (Stage.WON, today)  # won without a close date: closes today
    history = [(c.from_stage, c.to_stage, c.changed_by) for c in StageChange.objects.order_by("pk")]
    assert history == [("", "prospecting", rm), ("prospecting", "proposal", rm), ("proposal", "won", rm)]
    page = rm_client.get(deal.get_absolute_url()).content.decode()
    assert "Prospecting → Proposal" in page and "Proposal → Won" in page


FINANCIAL_CASE = {"investment": "1000", "year_1": "400", "year_2": "400", "year_3": "400"}


def test_financial_case_shows_roi_payback_and_irr_in_the_prospects_words(rm_client, account):
    rm_client.post(reverse("kpis:opportunity-create"), _deal_data(account, **FINANCIAL_CASE))
    deal = Opportunity.objects.get()
    assert deal.cash_flows == ["400", "400", "400"]
    response = rm_client.get(deal.get_absolute_url())
    case = response.context["case"]
    assert (case.roi.value, case.payback.value, case.irr.value) == ("20%", "2.5 years", "9.7%")
    page = response.content.decode()
    assert "For every 1 EUR invested the client gets back 1.20 EUR over 3 years." in page
    assert "Pays for itself in 2.5 years." in page
    assert "Equivalent yearly return: like an investment paying 9.7% a year." in page


def test_financial_case_says_why_a_figure_cannot_be_given(rm_client, rm):
    no_investment = OpportunityFactory(owner=rm, investment=None, cash_flows=["400"])
    case = rm_client.get(no_investment.get_absolute_url()).context["case"]
    assert case.roi.value == case.payback.value == case.irr.value == "—"
    assert "No investment entered" in case.roi.explanation
    never = OpportunityFactory(owner=rm, investment=D("1000"), cash_flows=["100", "100"])
    case = rm_client.get(never.get_absolute_url()).context["case"]
    assert case.payback.value == "—"
    assert (
        case.payback.explanation == "Never pays for itself: the gains of 2 years do not repay the investment."
    )
    assert case.roi.value == "-80%" and "a loss of" in case.irr.explanation


def test_cash_flow_fields_drop_trailing_years_and_count_gaps_as_zero(rm_client, account):
    rm_client.post(
        reverse("kpis:opportunity-create"),
        _deal_data(account, investment="500", year_1="100", year_3="300.50"),
    )
    deal = Opportunity.objects.get()
    assert deal.cash_flows == ["100", "0", "300.50"]
    form = rm_client.get(reverse("kpis:opportunity-update", args=[deal.pk])).context["form"]
    assert [form[f"year_{n}"].value() for n in (1, 2, 3, 4)] == [D("100"), D("0"), D("300.50"), None]


def test_a_close_date_before_engagement_is_refused(rm_client, account):
    data = _deal_data(account, stage="lost", engage_date="2026-03-01", close_date="2026-02-01")
    response = rm_client.post(reverse("kpis:opportunity-create"), data)
    assert response.status_code == 400
    assert "The close date cannot be before the engagement date." in response.content.decode()
    assert not Opportunity.objects.exists()


def _names(response) -> list[str]:
    return [d.name for d in response.context["page_obj"].object_list]


def test_opportunity_list_filters_and_totals(rm_client, rm):
    loan = ProductFactory(name="Term loan")
    OpportunityFactory(owner=rm, name="Open A", stage=Stage.PROSPECTING, value=D("1000"), product=loan)
    OpportunityFactory(owner=rm, name="Open B", stage=Stage.PROPOSAL, value=D("2500.50"))
    OpportunityFactory(owner=rm, name="Won", stage=Stage.WON, close_date=date(2026, 2, 1), value=D("7000"))
    OpportunityFactory(owner=rm, name="Lost", stage=Stage.LOST, close_date=date(2026, 3, 1), value=D("9000"))
    OpportunityFactory(owner=rm, name="Dollars", stage=Stage.ENGAGING, value=D("300"), currency="USD")
    url = reverse("kpis:opportunity-list")
    assert sorted(_names(rm_client.get(url, {"stage": "open"}))) == ["Dollars", "Open A", "Open B"]
    assert sorted(_names(rm_client.get(url, {"stage": "closed"}))) == ["Lost", "Won"]
    assert _names(rm_client.get(url, {"stage": "won"})) == ["Won"]
    assert _names(rm_client.get(url, {"product": loan.pk})) == ["Open A"]
    assert _names(rm_client.get(url, {"close_from": "2026-02-15"})) == ["Lost"]
    assert _names(rm_client.get(url, {"q": "open b"})) == ["Open B"]
    assert _names(rm_client.get(url, {"ordering": "-value", "stage": "closed"})) == ["Lost", "Won"]
    totals = {t.currency: t for t in rm_client.get(url).context["totals"]}
    assert (totals["EUR"].open_value, totals["EUR"].open_count) == (D("3500.50"), 2)
    assert (totals["EUR"].won_value, totals["EUR"].won_count) == (D("7000"), 1)
    assert (totals["USD"].open_value, totals["USD"].won_value) == (D("300"), D("0"))
    filtered = {t.currency: t for t in rm_client.get(url, {"product": loan.pk}).context["totals"]}
    assert list(filtered) == ["EUR"] and filtered["EUR"].open_value == D("1000")


def _grow_deals(org, n: int) -> None:
    product = ProductFactory(name="Cash pooling")
    for who in ("rm_a1", "rm_a1_peer"):
        OpportunityFactory.create_batch(n, owner=getattr(org, who), product=product)


def test_opportunity_list_query_count_does_not_grow_with_rows(leader_client, org, django_assert_num_queries):
    url = reverse("kpis:opportunity-list")
    # session, user (role annotated), count, totals per currency (one aggregate), page of deals (account,
    # product, owner joined), owners and products for the filters
    _grow_deals(org, 3)
    with django_assert_num_queries(7):
        assert leader_client.get(url).status_code == 200
    _grow_deals(org, 20)
    with django_assert_num_queries(7):
        assert leader_client.get(url).status_code == 200


# --- Targets ------------------------------------------------------------------------------------------


def _target_data(owner: str, code: str = "conversations", **extra):
    return {"owner": owner, "metric": metric(code).pk, "year": 2026, "value": "700", **extra}


def test_an_rm_cannot_set_targets(rm_client, rm):
    url = reverse("kpis:target-create")
    assert rm_client.get(url).status_code == 403
    assert rm_client.post(url, _target_data(f"user:{rm.pk}", "wins")).status_code == 403
    assert not Target.objects.exists()


def test_a_leader_sets_a_target_for_their_rm_and_team(leader_client, org, today):
    url = reverse("kpis:target-create")
    form = leader_client.get(url).context["form"]
    assert form["year"].value() == today.year
    owners = [label for group, choices in form.fields["owner"].choices[1:] for _key, label in choices]
    assert owners == ["Team A1", "RM A1 (Team A1)", "RM A1 peer (Team A1)"]
    response = leader_client.post(url, _target_data(f"user:{org.rm_a1.pk}", "wins", value="18"))
    assert response.status_code == 302 and response["Location"] == reverse("kpis:target-list") + "?year=2026"
    assert Target.objects.get(user=org.rm_a1).value == D("18")
    assert leader_client.post(url, _target_data(f"team:{org.team_a1.pk}", "wins")).status_code == 302
    assert Target.objects.get(team=org.team_a1).value == D("700")


@pytest.mark.parametrize("owner", ["user:rm_a2", "user:rm_b1", "team:team_a2", "region:region_a"])
def test_a_leader_cannot_set_a_target_outside_their_teams(leader_client, org, owner):
    kind, name = owner.split(":")
    response = leader_client.post(
        reverse("kpis:target-create"), _target_data(f"{kind}:{getattr(org, name).pk}")
    )
    assert response.status_code == 400
    assert "Choose an RM, a team or a region you set targets for." in response.content.decode()
    assert not Target.objects.exists()


def test_a_duplicate_target_shows_the_constraint_message(leader_client, org, records):
    response = leader_client.post(reverse("kpis:target-create"), _target_data(f"user:{org.rm_a1.pk}"))
    assert response.status_code == 400
    assert "This RM already has a target for this metric and year." in response.content.decode()
    assert Target.objects.filter(user=org.rm_a1).count() == 1


def test_a_balance_target_needs_a_baseline(leader_client, org):
    data = _target_data(f"user:{org.rm_a1.pk}", "loans", value="1200000")
    response = leader_client.post(reverse("kpis:target-create"), data)
    assert response.status_code == 400
    assert "A balance target needs the balance at the start of the year." in response.content.decode()
    response = leader_client.post(reverse("kpis:target-create"), {**data, "baseline": "1000000"})
    assert response.status_code == 302
    assert Target.objects.get().baseline == D("1000000")


def test_a_percentage_target_is_entered_as_a_fraction(leader_client, org):
    data = _target_data(f"user:{org.rm_a1.pk}", "mix-loans", value="40")
    response = leader_client.post(reverse("kpis:target-create"), data)
    assert "Give a percentage as a fraction: 0.40 for 40%." in response.content.decode()


def test_a_director_sets_a_region_target_and_edits_then_deletes_it(director_client, org):
    url = reverse("kpis:target-create")
    assert director_client.post(url, _target_data(f"region:{org.region_a.pk}", "wins")).status_code == 302
    target = Target.objects.get(region=org.region_a)
    edit = reverse("kpis:target-update", args=[target.pk])
    assert director_client.get(edit).context["form"]["owner"].value() == f"region:{org.region_a.pk}"
    director_client.post(edit, _target_data(f"region:{org.region_a.pk}", "wins", value="99"))
    target.refresh_from_db()
    assert target.value == D("99")
    delete = reverse("kpis:target-delete", args=[target.pk])
    assert 'method="post"' in director_client.get(delete).content.decode()
    director_client.post(delete)
    assert not Target.objects.exists()


def test_target_list_shows_the_gap_between_a_team_target_and_its_rms_sum(leader_client, org):
    seasonal = DistributionFactory(name="Seasonal")
    TargetFactory(user=None, team=org.team_a1, metric=metric("won-revenue"), value=D("250000"))
    TargetFactory(user=org.rm_a1, metric=metric("won-revenue"), value=D("100000"), distribution=seasonal)
    TargetFactory(user=org.rm_a1_peer, metric=metric("won-revenue"), value=D("120000"))
    TargetFactory(user=None, team=org.team_a1, metric=metric("wins"), value=D("20"))
    TargetFactory(user=org.rm_a1, metric=metric("wins"), value=D("10"))
    TargetFactory(user=org.rm_a1_peer, metric=metric("wins"), value=D("10"))
    TargetFactory(user=org.rm_a1, metric=metric("mix-loans"), value=D("0.40"))
    response = leader_client.get(reverse("kpis:target-list"), {"year": 2026})
    team = next(g for g in response.context["groups"] if g.kind == "team")
    rows = {r.target.metric.code: r for r in team.rows}
    assert (rows["won-revenue"].rm_total, rows["won-revenue"].gap) == ("220,000 EUR", "-30,000 EUR")
    assert rows["won-revenue"].gap_sign == -1 and rows["wins"].gap_sign == 0
    page = response.content.decode()
    assert 'class="badge text-bg-danger"' in page and "-30,000 EUR" in page
    rm_rows = {
        r.target.metric.code: r
        for r in next(g for g in response.context["groups"] if g.owner == org.rm_a1).rows
    }
    assert rm_rows["mix-loans"].value == "40%"
    assert rm_rows["wins"].value == "10"
    assert "Seasonal" in page and "Even" in page


def test_target_list_narrows_to_one_owner(leader_client, org, records):
    TargetFactory(user=None, team=org.team_a1, metric=metric("conversations"), value=D("1380"))
    url = reverse("kpis:target-list")
    response = leader_client.get(url, {"year": 2026})
    assert [key for key, _name, _kind in response.context["owner_choices"]] == [
        f"team:{org.team_a1.pk}", f"user:{org.rm_a1.pk}", f"user:{org.rm_a1_peer.pk}",
    ]  # fmt: skip
    response = leader_client.get(url, {"year": 2026, "owner": f"user:{org.rm_a1_peer.pk}"})
    assert [g.owner for g in response.context["groups"]] == [org.rm_a1_peer]


def test_target_list_has_an_empty_state_for_a_year_without_targets(leader_client):
    page = leader_client.get(reverse("kpis:target-list"), {"year": 2030}).content.decode()
    assert "No targets for 2030 yet." in page


def _grow_targets(org, n: int) -> None:
    """n metrics with a target for each RM of team A1 and for the team."""
    for i in range(n):
        m = Metric.objects.create(code=f"grow-{n}-{i}", name=f"Grow {n} {i}", kind="flow", unit="count",
                                  source="conversations")  # fmt: skip
        for owner in ({"user": org.rm_a1}, {"user": org.rm_a1_peer}, {"team": org.team_a1}):
            TargetFactory(**{"user": None, **owner}, metric=m, value=D("10"))


def test_target_list_query_count_does_not_grow_with_rows(leader_client, org, django_assert_num_queries):
    url = reverse("kpis:target-list")
    # session, user (role annotated), the owners with targets (one row each), the page's targets (metric,
    # owners, distribution joined), the RMs and the teams the viewer sets targets for (a leader directs no
    # region: no query), the sums of the RMs' targets per team and metric, the team targets
    _grow_targets(org, 3)
    with django_assert_num_queries(8):
        assert leader_client.get(url, {"year": 2026}).status_code == 200
    _grow_targets(org, 20)
    with django_assert_num_queries(8):
        assert leader_client.get(url, {"year": 2026}).status_code == 200


def test_target_list_shows_a_page_of_owners_each_with_all_its_targets(admin_client, org, monkeypatch):
    from kpis.views import records as views

    monkeypatch.setattr(views, "OWNERS_PER_PAGE", 2)
    for region in (org.region_a, org.region_b):
        TargetFactory(user=None, region=region, metric=metric("conversations"), value=D("3000"))
    for rm in (org.rm_a1, org.rm_a2):
        for code in ("conversations", "wins"):
            TargetFactory(user=rm, metric=metric(code), value=D("10"))
    url = reverse("kpis:target-list")
    seen = []
    for number in (1, 2):
        response = admin_client.get(url, {"year": 2026, "page": number})
        seen.append([(str(g.owner), len(g.rows)) for g in response.context["groups"]])
    assert seen == [[("Region A", 1), ("Region B", 1)], [("RM A1", 2), ("RM A2", 2)]]
    assert response.context["page_obj"].paginator.count == 4  # owners, not targets
    page = response.content.decode()
    assert 'aria-label="Pages"' in page and "year=2026&amp;page=1" in page
    picked = admin_client.get(url, {"year": 2026, "owner": f"user:{org.rm_a2.pk}", "page": 1})
    assert [str(g.owner) for g in picked.context["groups"]] == ["RM A2"]
    assert picked.context["page_obj"] is None


# --- Standards ----------------------------------------------------------------------------------------


def test_weeks_elapsed_counts_both_days_and_at_least_one_week():
    assert calc.weeks_elapsed(date(2026, 1, 1), date(2026, 1, 14)) == D(2)
    assert calc.weeks_elapsed(date(2026, 1, 1), date(2026, 1, 3)) == D(1)  # not 3/7
    assert calc.weeks_elapsed(date(2026, 1, 1), date(2026, 12, 31)) == D(365) / 7
    assert calc.average_per(30, D(2)) == D(15)
    assert calc.average_per(None, D(2)) is None


def test_months_elapsed_counts_the_share_of_the_current_month():
    assert calc.months_elapsed(date(2026, 1, 1), date(2026, 3, 31)) == D(3)
    assert calc.months_elapsed(date(2026, 1, 1), date(2026, 4, 15)) == D(3) + D(15) / 30
    assert calc.months_elapsed(date(2026, 1, 1), date(2026, 1, 2)) == D(1)


def _conversations(rm, n: int, day: date) -> None:
    account = AccountFactory(owner=rm)
    Activity.objects.bulk_create(
        [Activity(owner=rm, account=account, kind=ActivityKind.CONVERSATION, date=day) for _ in range(n)]
    )


def test_standards_show_each_rms_figure_with_its_status(leader_client, org, today):
    # Two weeks into 2026 with 15 conversations a week as standard (tolerances: 10% at risk, 25% off
    # track from the metric): 30 conversations is on track, 26 at risk, 10 off track.
    StandardFactory(
        team=org.team_a1, metric=metric("conversations"), value=D("15"), period=StandardPeriod.WEEK
    )
    StandardFactory(team=org.team_a1, metric=metric("mix-loans"), value=D("0.40"), period=StandardPeriod.RATIO,
                    tolerance_at_risk=D("0.10"), tolerance_off_track=D("0.30"))  # fmt: skip
    _conversations(org.rm_a1, 30, today)
    _conversations(org.rm_a1_peer, 10, today)
    _conversations(org.rm_a1_peer, 50, date(2025, 12, 31))  # last year: not counted
    loans, deposits = ProductFactory(name="Term loan", category="Loans"), ProductFactory(category="Deposits")
    for product, value in ((loans, "300"), (deposits, "700")):
        OpportunityFactory(
            owner=org.rm_a1, product=product, stage=Stage.WON, close_date=today, value=D(value)
        )
    response = leader_client.get(reverse("kpis:standard-list"))
    (team,) = response.context["teams"]
    rows = {r["row"].standard.metric.code: r for r in team["rows"]}
    conversations = [(c.rm.label, c.value, c.status) for c in rows["conversations"]["cells"]]
    assert conversations == [("RM A1", "15", "on_track"), ("RM A1 peer", "5", "off_track")]
    assert rows["conversations"]["row"].metric_default is True
    mix = [(c.rm.label, c.value, c.status) for c in rows["mix-loans"]["cells"]]
    assert mix == [("RM A1", "30%", "at_risk"), ("RM A1 peer", "—", None)]  # 30% of a 40% standard, no deals
    assert rows["mix-loans"]["value"] == "40%"
    page = response.content.decode()
    assert 'data-status="on_track"' in page and 'data-status="off_track"' in page and "metric default" in page


def test_a_share_standard_on_a_count_reads_as_on_the_funnel_page(leader_client, org, today):
    """ "Appointments, as a share: 25%" is the conversation → appointment ratio, on the standards board as on
    the funnel page: 3 appointments from 10 conversations (30%) is on track, 1 from 10 (10%) off track, and
    an RM without a conversation has no figure. (Read as a count, 3 appointments beat 0.25 every time.)"""
    StandardFactory(team=org.team_a1, metric=metric("appointments"), value=D("0.25"),
                    period=StandardPeriod.RATIO)  # fmt: skip
    for rm, appointments in ((org.rm_a1, 3), (org.rm_a1_peer, 1)):
        _conversations(rm, 10, today)
        account = AccountFactory(owner=rm)
        Activity.objects.bulk_create(
            [
                Activity(owner=rm, account=account, kind=ActivityKind.APPOINTMENT, date=today)
                for _ in range(appointments)
            ]
        )
    (team,) = leader_client.get(reverse("kpis:standard-list")).context["teams"]
    (row,) = team["rows"]
    board = {c.rm.label: (c.value, c.status) for c in row["cells"]}
    assert row["value"] == "25%"
    assert board == {"RM A1": ("30%", "on_track"), "RM A1 peer": ("10%", "off_track")}
    funnel = leader_client.get(reverse("kpis:funnel"), {"by": "rm", "period": "2026-01"}).context["lines"]
    on_funnel = {line.owner.label: (line.cells[0].figure, line.cells[0].standard_status) for line in funnel}
    assert {label: status for label, (_f, status) in on_funnel.items() if label in board} == {
        label: status for label, (_v, status) in board.items()
    }


def test_a_leader_sets_edits_and_deletes_their_teams_standards(leader_client, org):
    data = {"team": org.team_a1.pk, "metric": metric("proposals").pk, "value": "1", "period": "week"}
    assert leader_client.post(reverse("kpis:standard-create"), data).status_code == 302
    standard = org.team_a1.standards.get()
    response = leader_client.post(reverse("kpis:standard-create"), data)
    assert response.status_code == 400  # one standard per team and metric
    assert "already exists" in response.content.decode()
    edit = reverse("kpis:standard-update", args=[standard.pk])
    response = leader_client.post(edit, {**data, "value": "2", "tolerance_at_risk": "0.2"})
    assert "Give both tolerances, or leave both empty" in response.content.decode()
    leader_client.post(edit, {**data, "value": "2", "tolerance_at_risk": "0.1", "tolerance_off_track": "0.2"})
    standard.refresh_from_db()
    assert (standard.value, standard.tolerance_off_track) == (D("2"), D("0.2"))
    leader_client.post(reverse("kpis:standard-delete", args=[standard.pk]))
    assert not org.team_a1.standards.exists()


def test_a_leader_cannot_set_another_teams_standards_and_an_rm_none(client, org):
    data = {"team": org.team_a2.pk, "metric": metric("proposals").pk, "value": "1", "period": "week"}
    client.force_login(org.leader_a1)
    assert client.post(reverse("kpis:standard-create"), data).status_code == 400
    client.force_login(org.rm_a1)
    assert client.get(reverse("kpis:standard-create")).status_code == 403
    assert not org.team_a2.standards.exists()


def _grow_standards(org, n: int, today: date) -> None:
    for who in ("rm_a1", "rm_a1_peer"):
        _conversations(getattr(org, who), n, today)
        OpportunityFactory.create_batch(n, owner=getattr(org, who), stage=Stage.WON, close_date=today)


def test_standard_list_query_count_does_not_grow_with_rows(
    leader_client, org, today, django_assert_num_queries
):
    for code in ("conversations", "mix-loans", "forecast-accuracy"):
        StandardFactory(team=org.team_a1, metric=metric(code), value=D("0.5"))
    url = reverse("kpis:standard-list")
    # session, user (role annotated), the teams and their count (a page of them), standards (metrics
    # joined), RMs, one aggregate per source table (activities for conversations; won deals for the loan mix
    # and forecast accuracy's actual; the forecasts), teams the viewer may edit
    _grow_standards(org, 3, today)
    with django_assert_num_queries(10):
        assert leader_client.get(url).status_code == 200
    _grow_standards(org, 20, today)
    with django_assert_num_queries(10):
        assert leader_client.get(url).status_code == 200


def test_the_standards_board_shows_a_page_of_teams_each_with_its_rms_figures(
    admin_client, org, today, monkeypatch
):
    from kpis.views import records

    monkeypatch.setattr(records, "TEAMS_PER_PAGE", 1)
    for team in (org.team_a1, org.team_a2):
        StandardFactory(team=team, metric=metric("conversations"), value=D("15"), period=StandardPeriod.WEEK)
    _conversations(org.rm_a1, 30, today)
    _conversations(org.rm_a2, 4, today)
    first = admin_client.get(reverse("kpis:standard-list"))
    names = [t["team"].name for t in first.context["teams"]]
    assert len(names) == 1 and first.context["page_obj"].paginator.num_pages == Team.objects.count()
    pages = {}
    for number in range(1, Team.objects.count() + 1):
        response = admin_client.get(reverse("kpis:standard-list"), {"page": number})
        (team,) = response.context["teams"]
        pages[team["team"].pk] = {c.rm.label: c.value for r in team["rows"] for c in r["cells"]}
    assert pages[org.team_a1.pk] == {"RM A1": "15", "RM A1 peer": "0"}
    assert pages[org.team_a2.pk] == {"RM A2": "2"}
    assert 'aria-label="Pages"' in first.content.decode()


# --- Forecasts ----------------------------------------------------------------------------------------


@pytest.fixture
def march(monkeypatch):
    day = date(2026, 3, 15)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
    return day


def test_the_forecast_grid_saves_twelve_months(rm_client, rm, march):
    won = metric("won-revenue")
    ForecastFactory(owner=rm, metric=won, month=date(2026, 5, 1), value=D("1"))
    data = {f"month_{m}": str(1000 * m) for m in range(1, 13)}
    response = rm_client.post(reverse("kpis:forecast-list"), data)
    assert response.status_code == 302
    forecasts = Forecast.objects.filter(owner=rm, metric=won, month__year=2026).order_by("month")
    assert [(f.month.month, f.value) for f in forecasts] == [(m, D(1000 * m)) for m in range(1, 13)]
    data["month_12"] = ""
    rm_client.post(reverse("kpis:forecast-list"), data)  # an emptied month withdraws its forecast
    assert Forecast.objects.filter(owner=rm).count() == 11
    assert "The forecasts have been saved." in rm_client.get(response["Location"]).content.decode()


def test_the_forecast_grid_shows_actuals_and_accuracy_of_months_over(rm_client, rm, march):
    won = metric("won-revenue")
    ForecastFactory(owner=rm, metric=won, month=date(2026, 1, 1), value=D("1000"))
    ForecastFactory(owner=rm, metric=won, month=date(2026, 2, 1), value=D("2000"))
    ForecastFactory(owner=rm, metric=won, month=date(2026, 3, 1), value=D("500"))
    for day, value in ((date(2026, 1, 10), "600"), (date(2026, 1, 20), "300"), (date(2026, 2, 3), "2000"),
                       (date(2026, 3, 2), "100")):  # fmt: skip
        OpportunityFactory(owner=rm, stage=Stage.WON, close_date=day, value=D(value))
    OpportunityFactory(owner=rm, stage=Stage.LOST, close_date=date(2026, 1, 5), value=D("999"))
    response = rm_client.get(reverse("kpis:forecast-list"))
    months = response.context["months"]
    assert [(r["actual"], r["accuracy"]) for r in months[:4]] == [
        ("900 EUR", "90%"), ("2,000 EUR", "100%"), ("100 EUR", ""), ("", ""),
    ]  # fmt: skip
    assert response.context["year_accuracy"] == "96.7%"  # 1 − |2900 − 3000| ÷ 3000
    page = response.content.decode()
    assert "not over yet" in page and 'value="1000.00"' in page


def test_forecast_form_refuses_a_negative_month(rm_client, march):
    response = rm_client.post(reverse("kpis:forecast-list"), {"month_1": "-5"})
    assert response.status_code == 400
    assert not Forecast.objects.exists()


def test_a_leader_saves_forecasts_for_their_rm(leader_client, org, march):
    url = reverse("kpis:forecast-list") + f"?owner={org.rm_a1_peer.pk}"
    assert leader_client.post(url, {"month_4": "4000"}).status_code == 302
    assert Forecast.objects.get().owner == org.rm_a1_peer


def _grow_forecasts(rm, n: int, today: date) -> None:
    won = metric("won-revenue")
    for m in range(1, 13):
        Forecast.objects.update_or_create(
            owner=rm, metric=won, month=date(2026, m, 1), defaults={"value": D(n)}
        )
    OpportunityFactory.create_batch(
        n, owner=rm, stage=Stage.WON, close_date=today - datetime.timedelta(days=40)
    )


def test_forecast_list_query_count_does_not_grow_with_rows(rm_client, rm, march, django_assert_num_queries):
    url = reverse("kpis:forecast-list")
    # session, user (role annotated), the metric shown, forecasts, actuals grouped by month (TruncMonth), the
    # metrics for the picker (an RM picks no RM: no query)
    _grow_forecasts(rm, 3, march)
    with django_assert_num_queries(6):
        assert rm_client.get(url).status_code == 200
    _grow_forecasts(rm, 20, march)
    with django_assert_num_queries(6):
        assert rm_client.get(url).status_code == 200
