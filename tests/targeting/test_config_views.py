"""Team targeting page (settings and priority criteria saved together) and the contact-level rules page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from targeting.models import Account, PriorityCriterion, TeamTargeting
from tests.factories.accounts import TeamFactory
from tests.factories.targeting import (
    AccountFactory,
    ContactLevelRuleFactory,
    IndustryFactory,
    PriorityCriterionFactory,
    SegmentFactory,
    TeamTargetingFactory,
)

pytestmark = pytest.mark.django_db


def _url(team) -> str:
    return reverse("targeting:team-targeting", args=[team.pk])


def _data(*, limit=25, a=60, b=30, criteria=(), initial=0) -> dict:
    """The POST of the team targeting page: the settings form and the criteria formset."""
    data = {
        "settings-named_account_limit": limit,
        "settings-tier_a_min_score": a,
        "settings-tier_b_min_score": b,
        "criteria-TOTAL_FORMS": len(criteria),
        "criteria-INITIAL_FORMS": initial,
        "criteria-MIN_NUM_FORMS": 0,
        "criteria-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(criteria):
        for key, value in row.items():
            data[f"criteria-{i}-{key}"] = value
    return data


# --- Access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "team", "status"),
    [
        ("rm_a1", "team_a1", 404),  # an RM sees their team but has no targeting page
        ("rm_a1", "team_a2", 404),
        ("leader_a1", "team_a1", 200),
        ("leader_a1", "team_a2", 404),
        ("director_a", "team_a2", 200),
        ("director_a", "team_b1", 404),
        ("admin", "team_b1", 200),
    ],
)
def test_team_targeting_page_is_for_who_manages_the_team(client, org, who, team, status):
    client.force_login(getattr(org, who))
    assert client.get(_url(getattr(org, team))).status_code == status
    assert client.post(_url(getattr(org, team)), _data()).status_code in (status, 302)


def test_rm_cannot_post_team_targeting(rm_client, org):
    response = rm_client.post(_url(org.team_a1), _data(limit=99))
    assert response.status_code == 404
    assert not TeamTargeting.objects.exists()


def test_team_targeting_index_sends_a_one_team_leader_to_their_team(leader_client, org):
    response = leader_client.get(reverse("targeting:team-targeting-list"))
    assert response.status_code == 302
    assert response["Location"] == _url(org.team_a1)


def test_team_targeting_index_lists_the_teams_of_a_director(director_client, org):
    response = director_client.get(reverse("targeting:team-targeting-list"))
    assert list(response.context["teams"]) == [org.team_a1, org.team_a2]


def test_team_targeting_index_is_refused_to_an_rm(rm_client):
    assert rm_client.get(reverse("targeting:team-targeting-list")).status_code == 403


def test_leader_of_two_teams_switches_between_them(leader_client, org, leader):
    second = TeamFactory(name="Team A3", region=org.region_a, leader=leader)
    page = leader_client.get(_url(org.team_a1)).content.decode()
    assert 'data-testid="team-switcher"' in page
    assert _url(second) in page


# --- Saving -----------------------------------------------------------------------------------------


def test_saving_settings_and_criteria_recomputes_the_tiers(leader_client, org):
    star = AccountFactory(owner=org.rm_a1, is_high_value=True, annual_revenue=Decimal("5000000"))  # 40: A
    big = AccountFactory(owner=org.rm_a1_peer, annual_revenue=Decimal("12000000"))  # 20: B
    small = AccountFactory(owner=org.rm_a1, annual_revenue=Decimal("1000000"))  # 0: C
    elsewhere = AccountFactory(owner=org.rm_a2, is_high_value=True)  # another team: untouched
    response = leader_client.post(
        _url(org.team_a1),
        _data(
            limit=12,
            a=40,
            b=20,
            criteria=[
                {"kind": "high_value", "points": 40},
                {"kind": "revenue_at_least", "threshold": "10000000", "points": 20},
                {},  # the blank extra row is ignored
            ],
        ),
    )
    assert response.status_code == 302
    settings = TeamTargeting.objects.get(team=org.team_a1)  # created on first save
    assert (settings.named_account_limit, settings.tier_a_min_score, settings.tier_b_min_score) == (
        12,
        40,
        20,
    )
    assert PriorityCriterion.objects.filter(team=org.team_a1).count() == 2
    tiers = {a.pk: (a.tier_score, a.tier_computed) for a in Account.objects.all()}
    assert tiers[star.pk] == (40, "A")
    assert tiers[big.pk] == (20, "B")
    assert tiers[small.pk] == (0, "C")
    assert tiers[elsewhere.pk] == (0, "C")
    follow = leader_client.get(response["Location"])
    assert "Targeting of Team A1 saved; the tiers of its accounts are recomputed." in follow.content.decode()


def test_page_shows_existing_criteria_and_removing_one_drops_it(leader_client, org):
    PriorityCriterionFactory(team=org.team_a1, kind="high_value", points=40)
    PriorityCriterionFactory(team=org.team_a1, kind="must_keep", points=25)
    formset = leader_client.get(_url(org.team_a1)).context["formset"]
    assert [f.initial["kind"] for f in formset.initial_forms] == ["high_value", "must_keep"]
    leader_client.post(
        _url(org.team_a1),
        _data(
            initial=2,
            criteria=[
                {"kind": "high_value", "points": 40},
                {"kind": "must_keep", "points": 25, "DELETE": "on"},
            ],
        ),
    )
    assert list(PriorityCriterion.objects.values_list("kind", "points")) == [("high_value", 40)]


def test_invalid_criterion_keeps_the_input_and_changes_nothing(leader_client, org):
    TeamTargetingFactory(team=org.team_a1, named_account_limit=25)
    PriorityCriterionFactory(team=org.team_a1, kind="high_value", points=40)
    account = AccountFactory(owner=org.rm_a1, is_high_value=True)
    leader_client.post(_url(org.team_a1), _data(initial=1, criteria=[{"kind": "high_value", "points": 40}]))
    account.refresh_from_db()
    before = (account.tier_score, account.tier_computed)

    response = leader_client.post(
        _url(org.team_a1),
        _data(
            limit=10,
            a=30,
            b=10,
            initial=1,
            criteria=[
                {"kind": "high_value", "points": 45},
                {"kind": "revenue_at_least", "points": 20},  # no threshold
            ],
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This criterion needs a threshold." in page
    assert 'value="45"' in page and 'value="10"' in page
    assert TeamTargeting.objects.get(team=org.team_a1).named_account_limit == 25
    assert list(PriorityCriterion.objects.values_list("kind", "points")) == [("high_value", 40)]
    account.refresh_from_db()
    assert (account.tier_score, account.tier_computed) == before


def test_tier_thresholds_out_of_order_are_refused_clearly(leader_client, org):
    PriorityCriterionFactory(team=org.team_a1, kind="high_value", points=40)
    response = leader_client.post(
        _url(org.team_a1), _data(a=20, b=30, criteria=[{"kind": "must_keep", "points": 5}])
    )
    assert response.status_code == 400
    assert "Tier A must start at a higher score than tier B." in response.content.decode()
    assert not TeamTargeting.objects.exists()
    assert list(PriorityCriterion.objects.values_list("kind", flat=True)) == ["high_value"]


def test_segment_choices_are_the_teams_and_its_regions_segments(leader_client, org):
    own = SegmentFactory(name="Own", team=org.team_a1)
    regional = SegmentFactory(name="Regional", team=None, region=org.region_a)
    other = SegmentFactory(name="Other team", team=org.team_a2)
    SegmentFactory(name="Other region", team=None, region=org.region_b)
    formset = leader_client.get(_url(org.team_a1)).context["formset"]
    choices = {label for _value, label in formset.forms[0].fields["segment"].choices}
    assert {"Own", "Regional"} <= choices
    assert not {"Other team", "Other region"} & choices

    response = leader_client.post(
        _url(org.team_a1), _data(criteria=[{"kind": "matches_segment", "segment": other.pk, "points": 10}])
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    leader_client.post(
        _url(org.team_a1), _data(criteria=[{"kind": "matches_segment", "segment": regional.pk, "points": 10}])
    )
    assert PriorityCriterion.objects.get().segment == regional
    assert own  # offered above


def test_page_shows_the_tier_distribution_by_tier_in_force(leader_client, org):
    AccountFactory(owner=org.rm_a1, tier_computed="A")
    AccountFactory(owner=org.rm_a1, tier_computed="C", tier_override="A", tier_override_reason="Board ask")
    AccountFactory(owner=org.rm_a1_peer, tier_computed="B")
    AccountFactory(
        owner=org.rm_a1_peer, tier_computed="B", tier_override="C", tier_override_reason="Churning"
    )
    AccountFactory(owner=org.rm_a2, tier_computed="A")  # another team
    response = leader_client.get(_url(org.team_a1))
    assert response.context["distribution"] == {"A": 2, "B": 1, "C": 1}
    assert "Saving this page recomputes the score and tier of every account of the team" in (
        response.content.decode()
    )


def test_team_targeting_page_query_count_does_not_grow_with_criteria_or_accounts(
    leader_client, org, django_assert_num_queries
):
    # session, user, managed team, scoring (criteria with segments, segments, prefetched industries,
    # settings), tier distribution, teams for the switcher
    def grow(n):
        for _ in range(n):
            segment = SegmentFactory(team=org.team_a1)
            segment.industries.set([IndustryFactory()])
            PriorityCriterionFactory(team=org.team_a1, kind="matches_segment", segment=segment, points=5)
            AccountFactory(owner=org.rm_a1)

    grow(3)
    with django_assert_num_queries(9):
        assert leader_client.get(_url(org.team_a1)).status_code == 200
    grow(20)
    with django_assert_num_queries(9):
        assert leader_client.get(_url(org.team_a1)).status_code == 200


# --- Contact-level rules ----------------------------------------------------------------------------


def test_contact_level_rules_are_readable_by_everyone_logged_in(client, org):
    ContactLevelRuleFactory(industry=None, employees_min=0, employees_max=49, level=1)
    ContactLevelRuleFactory(industry=IndustryFactory(name="Health care"), employees_min=50, level=2)
    unplaced = User.objects.create_user("new@bank.example", display_name="New")
    for user in (org.rm_a1, org.leader_a1, org.director_a, org.admin, unplaced):
        client.force_login(user)
        response = client.get(reverse("targeting:contact-level-rules"))
        assert response.status_code == 200
    page = response.content.decode()
    assert "Any industry" in page and "Health care" in page
    assert "50 and more" in page and "0 – 49" in page
    assert "Owner / C-suite" in page and "Senior executive" in page
    assert "The most specific rule wins: an industry rule before an any-industry rule" in page


def test_contact_level_rules_link_to_the_admin_only_for_admins(client, org):
    admin_url = reverse("admin:targeting_contactlevelrule_changelist")
    client.force_login(org.admin)
    assert admin_url in client.get(reverse("targeting:contact-level-rules")).content.decode()
    client.force_login(org.leader_a1)
    assert admin_url not in client.get(reverse("targeting:contact-level-rules")).content.decode()


def test_contact_level_rules_list_any_industry_rules_first(rm_client):
    ContactLevelRuleFactory(industry=IndustryFactory(name="Agriculture"), employees_min=0, level=2)
    ContactLevelRuleFactory(industry=None, employees_min=0, level=1)
    rules = list(rm_client.get(reverse("targeting:contact-level-rules")).context["rules"])
    assert [str(r.industry or "any") for r in rules] == ["any", "Agriculture"]


def test_contact_level_rules_empty_state_explains_the_fallback(rm_client):
    page = rm_client.get(reverse("targeting:contact-level-rules")).content.decode()
    assert "No rule yet: the fallback above applies to every prospect." in page
