"""The account and contact pages: who reaches what, the list's filters and export, the forms, their rules."""

from decimal import Decimal

import pytest
from django.urls import reverse

from targeting import services
from targeting.models import Account, AccountStatus, Contact, ContactLevel, CriterionKind, PlayingField
from tests.factories.targeting import (
    AccountFactory,
    ContactFactory,
    IndustryFactory,
    PriorityCriterionFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(org):
    """One account per RM, each with one contact, named after its owner."""
    made = {}
    for who in ("rm_a1", "rm_a1_peer", "rm_a2", "rm_b1"):
        account = AccountFactory(owner=getattr(org, who), legal_name=f"Account of {who}")
        ContactFactory(account=account, name=f"Contact of {who}")
        made[who] = account
    return made


def _names(response) -> list[str]:
    return [a.legal_name for a in response.context["page_obj"].object_list]


def _csv(response) -> list[list[str]]:
    import csv
    import io

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


# --- Access: every page, every role, own against others' accounts ---------------------------------

ACCOUNT_PAGES = [
    "targeting:account-detail",
    "targeting:account-update",
    "targeting:account-delete",
    "targeting:account-tier",
    "targeting:account-reassign",
    "targeting:contact-create",
]
CONTACT_PAGES = ["targeting:contact-update", "targeting:contact-delete"]

ACCESS = [
    # viewer, owner of the account, status
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


def _expected(name: str, viewer: str, status: int) -> int:
    # Changing an account's owner is a leader's act: an RM gets 403 even on their own account.
    if name == "targeting:account-reassign" and viewer.startswith("rm_") and status == 200:
        return 403
    return status


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_account_pages_answer_by_role_and_owner(client, org, accounts, name, viewer, owner, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse(name, args=[accounts[owner].pk]))
    assert response.status_code == _expected(name, viewer, status), f"{viewer} on {owner}'s account: {name}"


@pytest.mark.parametrize("name", CONTACT_PAGES)
@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_contact_pages_follow_the_accounts_owner(client, org, accounts, name, viewer, owner, status):
    client.force_login(getattr(org, viewer))
    contact = accounts[owner].contacts.get()
    assert client.get(reverse(name, args=[contact.pk])).status_code == status


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("targeting:account-update", {"legal_name": "Stolen"}),
        ("targeting:account-delete", {}),
        ("targeting:account-tier", {"tier": "A", "reason": "Mine now"}),
        ("targeting:account-reassign", {"reason": "Mine now"}),
        ("targeting:contact-create", {"name": "Spy", "level": 1}),
    ],
)
def test_rm_posting_to_another_rms_account_gets_404_and_changes_nothing(rm_client, accounts, name, data):
    peer = accounts["rm_a1_peer"]
    response = rm_client.post(reverse(name, args=[peer.pk]), data)
    assert response.status_code == 404
    peer.refresh_from_db()
    assert (peer.legal_name, peer.tier_override, peer.contacts.count()) == ("Account of rm_a1_peer", "", 1)


@pytest.mark.parametrize("name", CONTACT_PAGES)
def test_rm_posting_to_another_rms_contact_gets_404(rm_client, accounts, name):
    contact = accounts["rm_b1"].contacts.get()
    response = rm_client.post(reverse(name, args=[contact.pk]), {"name": "Changed", "level": 2})
    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.name == "Contact of rm_b1"


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("rm_a1", ["Account of rm_a1"]),
        ("leader_a1", ["Account of rm_a1", "Account of rm_a1_peer"]),
        ("director_a", ["Account of rm_a1", "Account of rm_a1_peer", "Account of rm_a2"]),
        ("admin", ["Account of rm_a1", "Account of rm_a1_peer", "Account of rm_a2", "Account of rm_b1"]),
    ],
)
def test_account_list_shows_only_visible_accounts(client, org, accounts, viewer, visible):
    client.force_login(getattr(org, viewer))
    assert _names(client.get(reverse("targeting:account-list"))) == visible


def test_account_list_has_an_empty_state(rm_client):
    page = rm_client.get(reverse("targeting:account-list")).content.decode()
    assert 'data-testid="empty-state"' in page and "No accounts yet." in page


def test_account_list_tells_when_filters_match_nothing(rm_client, accounts):
    page = rm_client.get(reverse("targeting:account-list"), {"q": "nothing like it"}).content.decode()
    assert "No account matches these filters." in page


# --- List filters and sorting -------------------------------------------------------------------------


def test_search_looks_in_legal_name_and_location(rm_client, rm):
    AccountFactory(owner=rm, legal_name="Boulangerie Dupont", location="Lyon")
    AccountFactory(owner=rm, legal_name="Garage Martin", location="Lyon 3e")
    AccountFactory(owner=rm, legal_name="Atelier Lyonnais", location="Paris")
    AccountFactory(owner=rm, legal_name="Ferme Moreau", location="Nantes")
    url = reverse("targeting:account-list")
    assert _names(rm_client.get(url, {"q": "lyon"})) == [
        "Atelier Lyonnais",
        "Boulangerie Dupont",
        "Garage Martin",
    ]
    assert _names(rm_client.get(url, {"q": "dupont"})) == ["Boulangerie Dupont"]


def test_segment_filter_keeps_full_matches_only(rm_client, org, rm):
    food = IndustryFactory(name="Food")
    segment = SegmentFactory(team=org.team_a1, revenue_min=Decimal("5000000"), locations="Paris")
    segment.industries.set([food])
    AccountFactory(owner=rm, legal_name="Full", industry=food, annual_revenue=Decimal("6000000"))
    AccountFactory(owner=rm, legal_name="Too small", industry=food, annual_revenue=Decimal("1000000"))
    AccountFactory(owner=rm, legal_name="Other trade", annual_revenue=Decimal("9000000"))
    AccountFactory(owner=rm, legal_name="Elsewhere", industry=food, location="Lille")
    response = rm_client.get(reverse("targeting:account-list"), {"segment": segment.pk})
    assert _names(response) == ["Full"]


def test_segment_filter_refuses_a_segment_the_viewer_cannot_see(rm_client, org, rm):
    AccountFactory(owner=rm)
    hidden = SegmentFactory(team=org.team_b1)
    response = rm_client.get(reverse("targeting:account-list"), {"segment": hidden.pk})
    assert _names(response) == []
    assert "Select a valid choice" in response.content.decode()


def test_tier_filter_uses_the_tier_in_force(rm_client, rm):
    AccountFactory(owner=rm, legal_name="Computed A", tier_computed="A")
    AccountFactory(owner=rm, legal_name="Raised to A", tier_computed="C", tier_override="A",
                   tier_override_reason="Group parent is a client")  # fmt: skip
    AccountFactory(owner=rm, legal_name="Lowered to C", tier_computed="A", tier_override="C",
                   tier_override_reason="Moving abroad")  # fmt: skip
    AccountFactory(owner=rm, legal_name="Computed C", tier_computed="C")
    url = reverse("targeting:account-list")
    assert _names(rm_client.get(url, {"tier": "A"})) == ["Computed A", "Raised to A"]
    assert _names(rm_client.get(url, {"tier": "C"})) == ["Computed C", "Lowered to C"]


def test_tier_column_flags_an_override(rm_client, rm):
    AccountFactory(owner=rm, tier_computed="C", tier_override="A", tier_override_reason="Group parent")
    assert "overridden" in rm_client.get(reverse("targeting:account-list")).content.decode()


def test_status_designation_and_playing_field_filters(rm_client, rm):
    AccountFactory(owner=rm, legal_name="Client kept", status=AccountStatus.ACTIVE, must_keep=True)
    AccountFactory(owner=rm, legal_name="Client grown", status=AccountStatus.ACTIVE, must_expand=True)
    AccountFactory(
        owner=rm, legal_name="Big prospect", is_high_value=True, playing_field=PlayingField.TOP_DOWN
    )
    AccountFactory(owner=rm, legal_name="Walk-in", playing_field=PlayingField.BOTTOM_UP)
    url = reverse("targeting:account-list")
    assert _names(rm_client.get(url, {"status": "active"})) == ["Client grown", "Client kept"]
    assert _names(rm_client.get(url, {"designation": "must_keep"})) == ["Client kept"]
    assert _names(rm_client.get(url, {"designation": "must_expand"})) == ["Client grown"]
    assert _names(rm_client.get(url, {"designation": "high_value"})) == ["Big prospect"]
    assert _names(rm_client.get(url, {"playing_field": "bottom_up"})) == ["Walk-in"]


def _ready_prospect(owner, name: str) -> Account:
    account = AccountFactory(
        owner=owner,
        legal_name=name,
        target_level=ContactLevel.SENIOR_EXECUTIVE,
        research_notes="Exports machine parts; worried about payment delays.",
    )
    ContactFactory(account=account, level=ContactLevel.OWNER)
    return account


def test_readiness_filter_and_column_for_prospects(rm_client, rm):
    _ready_prospect(rm, "Ready prospect")
    AccountFactory(owner=rm, legal_name="Half-researched", target_level=ContactLevel.MANAGER)
    junior_only = AccountFactory(owner=rm, legal_name="Junior contact only", target_level=ContactLevel.OWNER,
                                 research_notes="Notes")  # fmt: skip
    ContactFactory(account=junior_only, level=ContactLevel.STAFF)
    client = _ready_prospect(rm, "Active client")
    client.status = AccountStatus.ACTIVE
    client.save()
    url = reverse("targeting:account-list")
    assert _names(rm_client.get(url, {"readiness": "ready"})) == ["Ready prospect"]
    assert _names(rm_client.get(url, {"readiness": "not_ready"})) == [
        "Half-researched",
        "Junior contact only",
    ]
    page = rm_client.get(url).content.decode()
    assert "Ready to call" in page and "2/4" in page and "3/4" in page


def test_owner_filter_lists_visible_owners_and_filters(leader_client, org, accounts):
    url = reverse("targeting:account-list")
    response = leader_client.get(url, {"owner": org.rm_a1_peer.pk})
    assert _names(response) == ["Account of rm_a1_peer"]
    choices = list(response.context["filter"].form.fields["owner"].queryset)
    assert choices == [org.rm_a1, org.rm_a1_peer]
    response = leader_client.get(url, {"owner": org.rm_b1.pk})
    assert _names(response) == [] and "Select a valid choice" in response.content.decode()


def test_sorting_by_revenue_score_and_owner(leader_client, org):
    AccountFactory(owner=org.rm_a1, legal_name="Mid", annual_revenue=Decimal("5000000"), tier_score=10)
    AccountFactory(owner=org.rm_a1_peer, legal_name="Big", annual_revenue=Decimal("90000000"), tier_score=5)
    AccountFactory(owner=org.rm_a1, legal_name="Small", annual_revenue=Decimal("100000"), tier_score=70)
    url = reverse("targeting:account-list")
    assert _names(leader_client.get(url, {"ordering": "-revenue"})) == ["Big", "Mid", "Small"]
    assert _names(leader_client.get(url, {"ordering": "-score"})) == ["Small", "Mid", "Big"]
    assert _names(leader_client.get(url, {"ordering": "-owner"}))[0] == "Big"
    assert _names(leader_client.get(url)) == ["Big", "Mid", "Small"]


def test_list_paginates_by_25_and_keeps_filters(rm_client, rm):
    AccountFactory.create_batch(30, owner=rm, status=AccountStatus.ACTIVE)
    response = rm_client.get(reverse("targeting:account-list"), {"status": "active", "page": 2})
    page = response.context["page_obj"]
    assert (page.number, page.paginator.count, len(page.object_list)) == (2, 30, 5)
    assert "status=active&amp;page=1" in response.content.decode()


def _grow_list(org, per_rm: int) -> None:
    for rm in (org.rm_a1, org.rm_a1_peer, org.rm_a2):
        for account in AccountFactory.create_batch(per_rm, owner=rm):
            ContactFactory.create_batch(3, account=account)


def test_list_query_count_does_not_grow_with_accounts_or_contacts(
    leader_client, org, django_assert_num_queries
):
    segment = SegmentFactory(team=org.team_a1)
    segment.industries.set([IndustryFactory(name="Food")])
    url = reverse("targeting:account-list")
    # session, user, segments for the filter, their industries, owners for the filter, count, page of
    # accounts (owner, team, industry joined; readiness and contact count annotated)
    _grow_list(org, 3)
    with django_assert_num_queries(7):
        assert leader_client.get(url).status_code == 200
    _grow_list(org, 20)
    with django_assert_num_queries(7):
        assert leader_client.get(url).status_code == 200


# --- CSV export --------------------------------------------------------------------------------------


def test_export_respects_filters_and_visibility_and_neutralises_formulas(leader_client, org, accounts):
    AccountFactory(owner=org.rm_a1, legal_name="=HYPERLINK(evil)", status=AccountStatus.ACTIVE,
                   annual_revenue=Decimal("1234567.89"), tier_computed="B", must_keep=True)  # fmt: skip
    AccountFactory(owner=org.rm_a2, legal_name="Invisible client", status=AccountStatus.ACTIVE)
    response = leader_client.get(reverse("targeting:account-export"), {"status": "active"})
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:3] == ["legal_name", "industry", "annual_revenue"] and len(rows[0]) == 15
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(evil)"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["annual_revenue"] == "1234567.89" and row["currency"] == "EUR"
    assert (row["owner_email"], row["tier"], row["must_keep"]) == (org.rm_a1.email, "B", "yes")
    assert row["ready_to_call"] == ""  # not a prospect


def test_export_without_filters_lists_every_visible_account(rm_client, accounts):
    rows = _csv(rm_client.get(reverse("targeting:account-export")))
    assert [r[0] for r in rows[1:]] == ["Account of rm_a1"]


def test_export_link_keeps_the_current_filters(rm_client, accounts):
    page = rm_client.get(reverse("targeting:account-list"), {"status": "prospect"}).content.decode()
    assert reverse("targeting:account-export") + "?status=prospect" in page


# --- Create and edit -----------------------------------------------------------------------------------


def _account_data(**overrides) -> dict:
    data = {
        "legal_name": "Nouvelle Société SARL",
        "industry": "",
        "annual_revenue": "2500000.00",
        "currency": "EUR",
        "employees": "40",
        "location": "Paris",
        "research_notes": "",
        "status": "prospect",
        "products_held": "0",
        "playing_field": "top_down",
        "target_level": "",
    }
    return {**data, **overrides}


def test_rm_creates_an_account_they_own(rm_client, rm):
    response = rm_client.post(reverse("targeting:account-create"), _account_data(owner=rm.pk))
    account = Account.objects.get(legal_name="Nouvelle Société SARL")
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    assert account.owner == rm and account.annual_revenue == Decimal("2500000.00")
    assert account.history.get().history_user == rm


def test_rm_cannot_create_an_account_for_someone_else(rm_client, org):
    response = rm_client.post(reverse("targeting:account-create"), _account_data(owner=org.rm_a1_peer.pk))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Account.objects.exists()


def test_leader_creates_accounts_for_their_rms_only(leader_client, org):
    form = leader_client.get(reverse("targeting:account-create")).context["form"]
    assert list(form.fields["owner"].queryset) == [org.rm_a1, org.rm_a1_peer]
    response = leader_client.post(reverse("targeting:account-create"), _account_data(owner=org.rm_a1_peer.pk))
    assert response.status_code == 302
    assert Account.objects.get().owner == org.rm_a1_peer


def test_negative_revenue_is_refused_and_the_input_kept(rm_client, rm):
    response = rm_client.post(
        reverse("targeting:account-create"),
        _account_data(owner=rm.pk, annual_revenue="-5", location="Quimper"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is greater than or equal to 0" in page
    assert "Quimper" in page and "Nouvelle Société SARL" in page
    assert not Account.objects.exists()


def test_duplicate_legal_name_whatever_its_case_is_refused(rm_client, rm, org):
    AccountFactory(owner=org.rm_b1, legal_name="Dupont SA")
    response = rm_client.post(
        reverse("targeting:account-create"), _account_data(owner=rm.pk, legal_name="DUPONT sa")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "An account with this legal name already exists." in page
    assert "DUPONT sa" in page


def test_edit_saves_through_the_service_and_recomputes_the_tier(rm_client, rm, org):
    PriorityCriterionFactory(team=org.team_a1, kind=CriterionKind.HIGH_VALUE, points=70)
    account = AccountFactory(owner=rm, legal_name="Editable")
    data = _account_data(legal_name="Editable", is_high_value="on", target_level=ContactLevel.MANAGER)
    response = rm_client.post(reverse("targeting:account-update", args=[account.pk]), data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.is_high_value, account.target_level, account.tier_computed) == (True, 3, "A")


def test_edit_refused_keeps_input_and_the_saved_name_in_the_header(rm_client, rm):
    account = AccountFactory(owner=rm, legal_name="Original name")
    data = _account_data(legal_name="Typed name", employees="-3")
    response = rm_client.post(reverse("targeting:account-update", args=[account.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="Typed name"' in page and "Edit Original name" in page
    account.refresh_from_db()
    assert account.legal_name == "Original name"


def test_edit_form_shows_the_rules_suggested_contact_level(rm_client, rm):
    account = AccountFactory(owner=rm, employees=900)
    page = rm_client.get(reverse("targeting:account-update", args=[account.pk])).content.decode()
    assert "The contact-level rules suggest: Senior executive." in page


# --- Detail --------------------------------------------------------------------------------------------


def test_detail_shows_checklist_suggestion_tier_explanation_segments_and_history(rm_client, org, rm):
    food = IndustryFactory(name="Food")
    segment = SegmentFactory(team=org.team_a1, name="Food makers", locations="Paris, Lyon",
                             value_proposition="Cash for the harvest season.")  # fmt: skip
    segment.industries.set([food])
    PriorityCriterionFactory(team=org.team_a1, kind=CriterionKind.HIGH_VALUE, points=40)
    PriorityCriterionFactory(team=org.team_a1, kind=CriterionKind.REVENUE_AT_LEAST,
                             threshold=Decimal("1000000"), points=25)  # fmt: skip
    account = AccountFactory(owner=rm, industry=food, location="Marseille", annual_revenue=Decimal("7500000"))
    account.is_high_value = True
    services.account_save(account=account, by=rm, reason="Met the CFO")
    response = rm_client.get(account.get_absolute_url())
    page = response.content.decode()
    assert response.context["checklist"].done == 1
    assert "1/4 done" in page
    assert "The rules suggest" in page and "Owner / C-suite" in page
    assert "Designated high-value" in page and "Annual revenue at least 1,000,000" in page
    assert "Total score" in page and ">65<" in page and "Tier A from 60 points, tier B from 30" in page
    assert "Computed tier: A" in page
    assert "Food makers" in page and "50 %" in page and "Cash for the harvest season." in page
    assert "7,500,000 EUR" in page
    history = response.context["history"]
    assert [h.kind for h in history] == ["~", "+"]
    assert history[0].reason == "Met the CFO" and history[0].changed == ("high-value",)
    assert "Met the CFO" in page


def test_detail_shows_ready_to_call_when_the_checklist_holds(rm_client, rm):
    account = _ready_prospect(rm, "Ready one")
    page = rm_client.get(account.get_absolute_url()).content.decode()
    assert 'data-testid="checklist-status">Ready to call' in page


def test_detail_hides_change_owner_from_rms_and_shows_it_to_leaders(client, org, accounts):
    url = accounts["rm_a1"].get_absolute_url()
    client.force_login(org.rm_a1)
    assert "Change owner" not in client.get(url).content.decode()
    client.force_login(org.leader_a1)
    assert "Change owner" in client.get(url).content.decode()


def _grow_detail(account, by, n: int) -> None:
    for i in range(n):
        ContactFactory(
            account=account, level=ContactLevel.MANAGER, name=f"Contact {account.contacts.count()}"
        )
        account.location = f"Paris {account.history.count()}-{i}"
        services.account_save(account=account, by=by, reason="Moved")


def test_detail_query_count_does_not_grow_with_contacts_or_history(
    rm_client, org, rm, django_assert_num_queries
):
    segment = SegmentFactory(team=org.team_a1)
    segment.industries.set([IndustryFactory(name="Food")])
    PriorityCriterionFactory(team=org.team_a1, kind=CriterionKind.HIGH_VALUE, points=40)
    account = AccountFactory(owner=rm)
    url = account.get_absolute_url()
    # session, user, account (readiness annotated), its contacts, contact-level rules, team scoring
    # (criteria, team segments, their industries, team settings), the criteria flags row, visible segments,
    # their industries, history (with who)
    _grow_detail(account, rm, 3)
    with django_assert_num_queries(13):
        assert rm_client.get(url).status_code == 200
    _grow_detail(account, rm, 12)
    with django_assert_num_queries(13):
        response = rm_client.get(url)
    assert len(response.context["contacts"]) == 15 and len(response.context["history"]) == 16


def test_detail_history_shows_at_most_twenty_newest_first(rm_client, rm):
    account = AccountFactory(owner=rm)
    for i in range(25):
        account.employees = 100 + i
        services.account_save(account=account, by=rm)
    history = rm_client.get(account.get_absolute_url()).context["history"]
    assert len(history) == 20
    assert history[0].date >= history[-1].date and history[-1].changed == ("employees",)


# --- Delete, reassign, tier override -------------------------------------------------------------------


def test_delete_asks_first_then_deletes_on_post(rm_client, rm):
    account = AccountFactory(owner=rm, legal_name="Going away")
    url = reverse("targeting:account-delete", args=[account.pk])
    page = rm_client.get(url).content.decode()
    assert "Delete Going away?" in page and 'method="post"' in page
    assert Account.objects.filter(pk=account.pk).exists()
    response = rm_client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("targeting:account-list")
    assert not Account.objects.filter(pk=account.pk).exists()


def test_rm_cannot_reassign_even_their_own_account(rm_client, org, accounts):
    url = reverse("targeting:account-reassign", args=[accounts["rm_a1"].pk])
    response = rm_client.post(url, {"owner": org.rm_a1_peer.pk, "reason": "Holiday"})
    assert response.status_code == 403
    assert Account.objects.get(pk=accounts["rm_a1"].pk).owner == org.rm_a1


def test_leader_reassigns_with_a_reason_recorded_in_the_history(leader_client, org, accounts):
    account = accounts["rm_a1"]
    url = reverse("targeting:account-reassign", args=[account.pk])
    response = leader_client.post(url, {"owner": org.rm_a1_peer.pk, "reason": "Rebalancing portfolios"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.owner == org.rm_a1_peer
    last = account.history.first()
    assert (last.history_change_reason, last.history_user) == ("Rebalancing portfolios", org.leader_a1)
    page = leader_client.get(account.get_absolute_url()).content.decode()
    assert "Rebalancing portfolios" in page and "owner" in page


def test_leader_cannot_reassign_to_an_rm_of_another_team(leader_client, org, accounts):
    account = accounts["rm_a1"]
    url = reverse("targeting:account-reassign", args=[account.pk])
    response = leader_client.post(url, {"owner": org.rm_a2.pk, "reason": "Why not"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert Account.objects.get(pk=account.pk).owner == org.rm_a1


def test_reassign_needs_a_reason(leader_client, org, accounts):
    url = reverse("targeting:account-reassign", args=[accounts["rm_a1"].pk])
    response = leader_client.post(url, {"owner": org.rm_a1_peer.pk, "reason": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_tier_override_without_reason_is_refused_with_a_message(rm_client, rm):
    account = AccountFactory(owner=rm)
    response = rm_client.post(
        reverse("targeting:account-tier", args=[account.pk]), {"tier": "A", "reason": " "}
    )
    assert response.status_code == 400
    assert "A tier override needs a reason." in response.content.decode()
    account.refresh_from_db()
    assert account.tier_override == ""


def test_tier_override_with_reason_shows_on_the_detail_page_and_can_be_cleared(rm_client, rm):
    account = AccountFactory(owner=rm)
    url = reverse("targeting:account-tier", args=[account.pk])
    assert rm_client.post(url, {"tier": "A", "reason": "Parent group is a key client"}).status_code == 302
    account.refresh_from_db()
    assert (account.tier, account.tier_override_reason) == ("A", "Parent group is a key client")
    page = rm_client.get(account.get_absolute_url()).content.decode()
    assert "overridden" in page and "Parent group is a key client" in page
    assert rm_client.post(url, {"tier": "", "reason": "ignored"}).status_code == 302
    account.refresh_from_db()
    assert (account.tier_override, account.tier_override_reason, account.tier) == ("", "", "C")


# --- Contacts -----------------------------------------------------------------------------------------


def test_contact_added_edited_and_deleted_from_the_account(rm_client, rm):
    account = AccountFactory(owner=rm, target_level=ContactLevel.SENIOR_EXECUTIVE)
    form_page = rm_client.get(reverse("targeting:contact-create", args=[account.pk])).content.decode()
    assert "The target level for this account is Senior executive." in form_page
    response = rm_client.post(
        reverse("targeting:contact-create", args=[account.pk]),
        {"name": "Anne Leroy", "title": "CFO", "level": 2, "email": "anne@example.com", "is_primary": "on"},
    )
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    contact = account.contacts.get()
    assert (contact.name, contact.level, contact.is_primary) == ("Anne Leroy", 2, True)
    response = rm_client.post(
        reverse("targeting:contact-update", args=[contact.pk]), {"name": "Anne Leroy-Petit", "level": 1}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.level, contact.is_primary) == ("Anne Leroy-Petit", 1, False)
    assert rm_client.post(reverse("targeting:contact-delete", args=[contact.pk])).status_code == 302
    assert not Contact.objects.exists()


def test_a_new_primary_contact_replaces_the_old_one(rm_client, rm):
    account = AccountFactory(owner=rm)
    old = ContactFactory(account=account, is_primary=True)
    rm_client.post(
        reverse("targeting:contact-create", args=[account.pk]),
        {"name": "New", "level": 1, "is_primary": "on"},
    )
    old.refresh_from_db()
    assert not old.is_primary and account.contacts.get(is_primary=True).name == "New"


def test_invalid_contact_keeps_input(rm_client, rm):
    account = AccountFactory(owner=rm)
    response = rm_client.post(
        reverse("targeting:contact-create", args=[account.pk]), {"name": "Typed", "level": 1, "email": "nope"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address" in page and 'value="Typed"' in page
