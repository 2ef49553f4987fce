"""Named-account list pages: an RM's own list, managers' overview, adding within the limit, removing."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from targeting.models import NamedAccountEntry, NamedAccountList
from tests.factories.accounts import RMFactory
from tests.factories.targeting import (
    AccountFactory,
    NamedAccountEntryFactory,
    NamedAccountListFactory,
    TeamTargetingFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def year() -> int:
    return timezone.localdate().year


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _detail(named_list) -> str:
    return reverse("targeting:named-list-detail", args=[named_list.pk])


def _add(named_list) -> str:
    return reverse("targeting:named-list-add", args=[named_list.pk])


# --- The list of lists ------------------------------------------------------------------------------


def test_rm_goes_to_their_own_list_of_this_year_created_on_first_visit(rm_client, rm, year):
    response = rm_client.get(reverse("targeting:named-list-list"))
    named_list = NamedAccountList.objects.get(owner=rm, year=year)
    assert response.status_code == 302
    assert response["Location"] == _detail(named_list)
    rm_client.get(reverse("targeting:named-list-list"))
    assert NamedAccountList.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("leader_a1", {"RM A1", "RM A1 peer"}),
        ("director_a", {"RM A1", "RM A1 peer", "RM A2"}),
        ("admin", {"RM A1", "RM A1 peer", "RM A2", "RM B1"}),
    ],
)
def test_managers_see_the_lists_of_the_rms_they_may_see(client, org, year, who, expected):
    for rm in (org.rm_a1, org.rm_a1_peer, org.rm_a2, org.rm_b1):
        NamedAccountListFactory(owner=rm, year=year)
    client.force_login(getattr(org, who))
    response = client.get(reverse("targeting:named-list-list"))
    assert response.status_code == 200
    assert {str(n.owner) for n in response.context["page_obj"]} == expected


def test_manager_list_defaults_to_this_year_and_filters_by_year_and_team(director_client, org, year):
    NamedAccountListFactory(owner=org.rm_a1, year=year)
    NamedAccountListFactory(owner=org.rm_a1, year=year - 1)
    NamedAccountListFactory(owner=org.rm_a2, year=year)
    url = reverse("targeting:named-list-list")

    def rows(**params):
        return [(str(n.owner), n.year) for n in director_client.get(url, params).context["page_obj"]]

    assert rows() == [("RM A1", year), ("RM A2", year)]
    assert rows(year=year - 1) == [("RM A1", year - 1)]
    assert rows(team=org.team_a2.pk) == [("RM A2", year)]
    assert rows(q="a2") == [("RM A2", year)]


def test_manager_list_shows_size_against_the_teams_limit_and_flags_an_overflow(leader_client, org, year):
    TeamTargetingFactory(team=org.team_a1, named_account_limit=1)
    over = NamedAccountListFactory(owner=org.rm_a1, year=year)
    NamedAccountEntryFactory.create_batch(2, named_list=over)  # the limit was lowered after they were added
    NamedAccountListFactory(owner=org.rm_a1_peer, year=year)
    response = leader_client.get(reverse("targeting:named-list-list"))
    sizes = {str(n.owner): (n.size, n.limit) for n in response.context["page_obj"]}
    assert sizes == {"RM A1": (2, 1), "RM A1 peer": (0, 1)}
    page = response.content.decode()
    assert "2 of 1" in page
    assert page.count('data-testid="over-limit"') == 1


def test_default_limit_applies_to_a_team_without_settings(director_client, org, year):
    NamedAccountListFactory(owner=org.rm_a2, year=year)
    [row] = director_client.get(reverse("targeting:named-list-list")).context["page_obj"]
    assert row.limit == 25


def _grow(org, year, n: int) -> None:
    for team in (org.team_a1, org.team_a2):
        TeamTargetingFactory(team=team, named_account_limit=5)
        for rm in RMFactory.create_batch(n, team=team):
            NamedAccountEntryFactory.create_batch(3, named_list=NamedAccountListFactory(owner=rm, year=year))


@pytest.mark.parametrize("who", ["leader_a1", "director_a", "admin"])
def test_named_list_overview_query_count_does_not_grow(client, org, year, who, django_assert_num_queries):
    client.force_login(getattr(org, who))
    url = reverse("targeting:named-list-list")
    # session, user, paginator count, page of lists (owner, team, leader joined; size and limit annotated),
    # the teams of the team filter
    _grow(org, year, 3)
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200
    _grow(org, year, 20)
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


# --- One list ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "owner", "status"),
    [
        ("rm_a1", "rm_a1", 200),
        ("rm_a1", "rm_a1_peer", 404),
        ("leader_a1", "rm_a1_peer", 200),
        ("leader_a1", "rm_a2", 404),
        ("director_a", "rm_a2", 200),
        ("director_a", "rm_b1", 404),
        ("admin", "rm_b1", 200),
    ],
)
def test_named_list_detail_follows_the_visibility_rule(client, org, year, who, owner, status):
    named_list = NamedAccountListFactory(owner=getattr(org, owner), year=year)
    client.force_login(getattr(org, who))
    assert client.get(_detail(named_list)).status_code == status


def test_named_list_detail_shows_accounts_size_limit_and_who_sets_it(rm_client, org, rm, year):
    TeamTargetingFactory(team=org.team_a1, named_account_limit=10)
    named_list = NamedAccountListFactory(owner=rm, year=year)
    NamedAccountEntryFactory(
        named_list=named_list,
        account=AccountFactory(owner=rm, legal_name="Acme SAS", is_high_value=True, tier_computed="A"),
    )
    AccountFactory(owner=rm, legal_name="Not Yet SARL")
    AccountFactory(owner=org.rm_a1_peer, legal_name="Peer Corp")
    response = rm_client.get(_detail(named_list))
    page = response.content.decode()
    assert "Acme SAS" in page and "High-value" in page
    assert "1 of 10" in page
    assert "The limit is set by the team leader, Leader A1." in page
    offered = [str(a) for a in response.context["add_form"].fields["account"].queryset]
    assert offered == ["Not Yet SARL"]


@pytest.mark.parametrize("who", ["rm_a1", "leader_a1"])
def test_named_list_detail_query_count_does_not_grow(client, org, year, who, django_assert_num_queries):
    named_list = NamedAccountListFactory(owner=org.rm_a1, year=year)
    client.force_login(getattr(org, who))
    # session, user, the list (owner, team, leader joined; size annotated), prefetched entries with
    # accounts and industries, the team's settings (the limit), whether the viewer may change the owner
    # (none for the owner themselves), the accounts offered in the add form
    queries = 6 if who == "rm_a1" else 7
    NamedAccountEntryFactory.create_batch(3, named_list=named_list)
    AccountFactory.create_batch(3, owner=org.rm_a1)
    with django_assert_num_queries(queries):
        assert client.get(_detail(named_list)).status_code == 200
    NamedAccountEntryFactory.create_batch(20, named_list=named_list)
    AccountFactory.create_batch(20, owner=org.rm_a1)
    with django_assert_num_queries(queries):
        assert client.get(_detail(named_list)).status_code == 200


# --- Adding and removing ------------------------------------------------------------------------------


def test_rm_adds_accounts_up_to_the_limit_and_the_next_is_refused_with_who_sets_it(rm_client, org, rm, year):
    TeamTargetingFactory(team=org.team_a1, named_account_limit=2)
    named_list = NamedAccountListFactory(owner=rm, year=year)
    first, second, third = AccountFactory.create_batch(3, owner=rm)
    for account in (first, second):
        response = rm_client.post(_add(named_list), {"account": account.pk})
        assert response.status_code == 302
        assert response["Location"] == _detail(named_list)
        assert f"{account} is on RM A1's named-account list for {year}." in _messages(response)
    response = rm_client.post(_add(named_list), {"account": third.pk})
    *_earlier, message = get_messages(response.wsgi_request)  # the successes above were never displayed
    assert message.level_tag == "error"
    assert "the limit is 2 accounts" in str(message)
    assert "Leader A1" in str(message)
    assert set(named_list.entries.values_list("account", flat=True)) == {first.pk, second.pk}


def test_limit_refusal_is_shown_as_an_error_on_the_list_page(rm_client, org, rm, year):
    TeamTargetingFactory(team=org.team_a1, named_account_limit=0)
    named_list = NamedAccountListFactory(owner=rm, year=year)
    response = rm_client.post(_add(named_list), {"account": AccountFactory(owner=rm).pk}, follow=True)
    [message] = list(response.context["messages"])
    assert message.level_tag == "error"
    assert "the limit is 0 accounts, set by your team leader Leader A1" in response.content.decode()
    assert not NamedAccountEntry.objects.exists()


def test_rm_cannot_add_another_rms_account(rm_client, org, rm, year):
    named_list = NamedAccountListFactory(owner=rm, year=year)
    peer_account = AccountFactory(owner=org.rm_a1_peer)
    response = rm_client.post(_add(named_list), {"account": peer_account.pk})
    assert _messages(response) == ["Choose one of RM A1's accounts that is not on the list yet."]
    assert not NamedAccountEntry.objects.exists()


def test_rm_cannot_add_to_another_rms_list(rm_client, org, year):
    peer_list = NamedAccountListFactory(owner=org.rm_a1_peer, year=year)
    response = rm_client.post(_add(peer_list), {"account": AccountFactory(owner=org.rm_a1_peer).pk})
    assert response.status_code == 404
    assert not NamedAccountEntry.objects.exists()


def test_leader_adds_an_account_to_an_rms_list(leader_client, org, year):
    named_list = NamedAccountListFactory(owner=org.rm_a1, year=year)
    account = AccountFactory(owner=org.rm_a1)
    leader_client.post(_add(named_list), {"account": account.pk})
    assert list(named_list.entries.values_list("account", flat=True)) == [account.pk]


def test_an_account_already_on_the_list_is_not_offered_twice(rm_client, rm, year):
    entry = NamedAccountEntryFactory(named_list=NamedAccountListFactory(owner=rm, year=year))
    response = rm_client.post(_add(entry.named_list), {"account": entry.account.pk})
    assert _messages(response) == ["Choose one of RM A1's accounts that is not on the list yet."]
    assert NamedAccountEntry.objects.count() == 1


def test_adding_needs_a_post(rm_client, rm, year):
    named_list = NamedAccountListFactory(owner=rm, year=year)
    assert rm_client.get(_add(named_list)).status_code == 405


def test_remove_takes_the_account_off_the_list(rm_client, rm, year):
    entry = NamedAccountEntryFactory(named_list=NamedAccountListFactory(owner=rm, year=year))
    response = rm_client.post(reverse("targeting:named-list-remove", args=[entry.pk]))
    assert response.status_code == 302
    assert response["Location"] == _detail(entry.named_list)
    assert _messages(response) == [f"{entry.account} is off the named-account list."]
    assert not NamedAccountEntry.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("rm_a1", 404), ("leader_a1", 404), ("director_a", 302)])
def test_remove_follows_the_visibility_rule(client, org, year, who, status):
    entry = NamedAccountEntryFactory(named_list=NamedAccountListFactory(owner=org.rm_a2, year=year))
    client.force_login(getattr(org, who))
    assert client.post(reverse("targeting:named-list-remove", args=[entry.pk])).status_code == status
    assert NamedAccountEntry.objects.exists() is (status == 404)


# --- From the account page --------------------------------------------------------------------------


def test_account_page_button_adds_to_the_owners_list_of_this_year_and_goes_back(leader_client, org, year):
    account = AccountFactory(owner=org.rm_a1)
    url = reverse("targeting:account-named-add", args=[account.pk])
    response = leader_client.post(url, {"next": "/targeting/accounts/"})
    assert response.status_code == 302
    assert response["Location"] == "/targeting/accounts/"
    named_list = NamedAccountList.objects.get(owner=org.rm_a1, year=year)
    assert list(named_list.entries.values_list("account", flat=True)) == [account.pk]


def test_account_page_button_ignores_an_unsafe_next(rm_client, rm, year):
    account = AccountFactory(owner=rm)
    response = rm_client.post(
        reverse("targeting:account-named-add", args=[account.pk]), {"next": "https://evil.example/"}
    )
    named_list = NamedAccountList.objects.get(owner=rm, year=year)
    assert response["Location"] == _detail(named_list)


def test_account_page_button_refuses_over_the_limit_with_the_services_words(rm_client, org, rm, year):
    TeamTargetingFactory(team=org.team_a1, named_account_limit=0)
    account = AccountFactory(owner=rm)
    response = rm_client.post(reverse("targeting:account-named-add", args=[account.pk]))
    [message] = _messages(response)
    assert f"The named-account list for {year} is full: the limit is 0 accounts" in message
    assert not NamedAccountEntry.objects.exists()


@pytest.mark.parametrize(
    ("who", "owner", "status"),
    [
        ("rm_a1", "rm_a1_peer", 404),
        ("leader_a1", "rm_a2", 404),
        ("director_a", "rm_b1", 404),
        ("admin", "rm_b1", 302),
    ],
)
def test_account_page_button_follows_the_visibility_rule(client, org, who, owner, status):
    account = AccountFactory(owner=getattr(org, owner))
    client.force_login(getattr(org, who))
    assert client.post(reverse("targeting:account-named-add", args=[account.pk])).status_code == status
    assert NamedAccountEntry.objects.exists() is (status == 302)
