"""Segment pages: who sees and changes which segment, the form's validation, match counts and query budgets.

Access rule of these pages: a segment the viewer may not see answers 404; one they see but may not change
(a region segment for a team leader, any segment for an RM) answers 403.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from targeting.models import PriorityCriterion, Segment
from tests.factories.accounts import RMFactory
from tests.factories.targeting import (
    AccountFactory,
    IndustryFactory,
    PriorityCriterionFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def segments(org):
    """One segment per place: team_a1, team_a2, team_b1, region_a, region_b."""
    return {
        "team_a1": SegmentFactory(name="Seg team A1", team=org.team_a1),
        "team_a2": SegmentFactory(name="Seg team A2", team=org.team_a2),
        "team_b1": SegmentFactory(name="Seg team B1", team=org.team_b1),
        "region_a": SegmentFactory(name="Seg region A", team=None, region=org.region_a),
        "region_b": SegmentFactory(name="Seg region B", team=None, region=org.region_b),
    }


def _names(response) -> set[str]:
    return {s.name for s in response.context["segments"]}


def _form_data(**overrides) -> dict:
    data = {
        "name": "Mid-market manufacturers",
        "description": "",
        "team": "",
        "region": "",
        "industries": [],
        "revenue_min": "",
        "revenue_max": "",
        "employees_min": "",
        "employees_max": "",
        "locations": "",
        "value_proposition": "Finance the next machine without tying up the payroll cash.",
    }
    data.update(overrides)
    return data


# --- List ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("rm_a1", {"Seg team A1", "Seg region A"}),
        ("leader_a1", {"Seg team A1", "Seg region A"}),
        ("director_a", {"Seg team A1", "Seg team A2", "Seg region A"}),
        ("admin", {"Seg team A1", "Seg team A2", "Seg team B1", "Seg region A", "Seg region B"}),
    ],
)
def test_segment_list_shows_the_segments_of_the_viewers_teams_and_regions(
    client, org, segments, who, expected
):
    client.force_login(getattr(org, who))
    response = client.get(reverse("targeting:segment-list"))
    assert response.status_code == 200
    assert _names(response) == expected


def test_segment_list_counts_only_fully_matching_accounts_the_viewer_may_see(client, org):
    industry = IndustryFactory(name="Manufacturing")
    segment = SegmentFactory(name="Makers", team=None, region=org.region_a, employees_min=50)
    segment.industries.set([industry])
    AccountFactory(owner=org.rm_a1, industry=industry, employees=80)  # matches, team A1
    AccountFactory(owner=org.rm_a2, industry=industry, employees=80)  # matches, team A2
    AccountFactory(owner=org.rm_a1, industry=industry, employees=10)  # too small
    AccountFactory(owner=org.rm_a1, industry=IndustryFactory(name="Retail"), employees=80)  # other industry
    AccountFactory(owner=org.rm_a1, industry=industry, employees=None)  # size unknown: not a match

    client.force_login(org.leader_a1)
    [row] = client.get(reverse("targeting:segment-list")).context["segments"]
    assert row.match_count == 1
    client.force_login(org.director_a)
    [row] = client.get(reverse("targeting:segment-list")).context["segments"]
    assert row.match_count == 2


def test_segment_list_shows_the_profile_summary(director_client, org):
    segment = SegmentFactory(
        name="Mid caps",
        team=org.team_a1,
        revenue_min=Decimal("1000000"),
        revenue_max=Decimal("5000000"),
        employees_min=20,
        locations="Paris, Lyon",
    )
    segment.industries.set([IndustryFactory(name="Wholesale trade")])
    page = director_client.get(reverse("targeting:segment-list")).content.decode()
    assert "Wholesale trade" in page
    assert "EUR 1,000,000 – 5,000,000" in page
    assert "from 20" in page
    assert "Paris, Lyon" in page


def test_segment_list_searches_and_filters_by_scope(director_client, segments):
    url = reverse("targeting:segment-list")
    assert _names(director_client.get(url, {"q": "team A2"})) == {"Seg team A2"}
    assert _names(director_client.get(url, {"scope": "region"})) == {"Seg region A"}
    assert _names(director_client.get(url, {"scope": "team"})) == {"Seg team A1", "Seg team A2"}


def test_segment_list_sorts_by_name_descending(director_client, segments):
    response = director_client.get(reverse("targeting:segment-list"), {"ordering": "-name"})
    assert [s.name for s in response.context["segments"]] == ["Seg team A2", "Seg team A1", "Seg region A"]


def test_segment_list_paginates_by_25(director_client, org):
    SegmentFactory.create_batch(27, team=org.team_a1)
    response = director_client.get(reverse("targeting:segment-list"), {"page": 2})
    assert len(response.context["segments"]) == 2


def test_segment_list_new_button_only_for_leaders_directors_and_admins(client, org):
    create_url = reverse("targeting:segment-create")
    client.force_login(org.rm_a1)
    assert create_url not in client.get(reverse("targeting:segment-list")).content.decode()
    client.force_login(org.leader_a1)
    assert create_url in client.get(reverse("targeting:segment-list")).content.decode()


def test_segment_list_empty_state_says_who_writes_segments(rm_client):
    page = rm_client.get(reverse("targeting:segment-list")).content.decode()
    assert "No segments yet: your team leader or director describes them." in page


def _grow(org, n: int) -> None:
    industry = IndustryFactory(name="Manufacturing")
    for team in (org.team_a1, org.team_a2):
        for segment in SegmentFactory.create_batch(n, team=team):
            segment.industries.set([industry, IndustryFactory()])
        AccountFactory.create_batch(n, owner=RMFactory(team=team), industry=industry)
    for segment in SegmentFactory.create_batch(n, team=None, region=org.region_a, employees_min=10):
        segment.industries.set([industry])


@pytest.mark.parametrize("who", ["leader_a1", "director_a", "admin"])
def test_segment_list_query_count_does_not_grow_with_segments_or_accounts(
    client, org, who, django_assert_num_queries
):
    client.force_login(getattr(org, who))
    url = reverse("targeting:segment-list")
    # session, user, paginator count, page of segments (team and region joined), prefetched industries,
    # one aggregate counting the visible matching accounts of every segment on the page
    _grow(org, 3)
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
    _grow(org, 20)
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


# --- Detail ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "segment", "status"),
    [
        ("rm_a1", "team_a1", 200),
        ("rm_a1", "team_a2", 404),
        ("rm_a1", "region_a", 200),
        ("leader_a1", "team_a1", 200),
        ("leader_a1", "team_a2", 404),
        ("director_a", "team_a2", 200),
        ("director_a", "region_b", 404),
        ("director_a", "team_b1", 404),
        ("admin", "region_b", 200),
    ],
)
def test_segment_detail_is_for_those_who_may_see_the_segment(client, org, segments, who, segment, status):
    client.force_login(getattr(org, who))
    response = client.get(reverse("targeting:segment-detail", args=[segments[segment].pk]))
    assert response.status_code == status


def test_segment_detail_shows_value_proposition_and_visible_matching_accounts(leader_client, org):
    segment = SegmentFactory(team=org.team_a1, locations="Lyon", value_proposition="Get paid before you pay.")
    AccountFactory(owner=org.rm_a1, location="Lyon", legal_name="Visible Lyon SA")
    AccountFactory(owner=org.rm_a1, location="Paris", legal_name="Paris Only SA")
    AccountFactory(owner=org.rm_a2, location="Lyon", legal_name="Hidden Lyon SA")
    response = leader_client.get(reverse("targeting:segment-detail", args=[segment.pk]))
    page = response.content.decode()
    assert "Get paid before you pay." in page
    assert [a.legal_name for a in response.context["matches"]] == ["Visible Lyon SA"]
    assert response.context["match_count"] == 1
    assert "Paris Only SA" not in page and "Hidden Lyon SA" not in page
    assert f"{reverse('targeting:account-list')}?segment={segment.pk}" in page


def test_segment_detail_lists_at_most_25_matching_accounts(leader_client, org):
    segment = SegmentFactory(team=org.team_a1)
    AccountFactory.create_batch(27, owner=org.rm_a1)
    response = leader_client.get(reverse("targeting:segment-detail", args=[segment.pk]))
    assert len(response.context["matches"]) == 25
    assert response.context["match_count"] == 27
    assert "The first 25 are shown." in response.content.decode()


def test_segment_detail_offers_edit_only_to_who_may_change_it(client, org, segments):
    url = reverse("targeting:segment-detail", args=[segments["region_a"].pk])
    edit = reverse("targeting:segment-update", args=[segments["region_a"].pk])
    client.force_login(org.leader_a1)
    assert edit not in client.get(url).content.decode()
    client.force_login(org.director_a)
    assert edit in client.get(url).content.decode()


# --- Create, edit, delete ---------------------------------------------------------------------------


def test_rm_cannot_open_or_post_the_new_segment_form(rm_client, org):
    assert rm_client.get(reverse("targeting:segment-create")).status_code == 403
    response = rm_client.post(reverse("targeting:segment-create"), _form_data(team=org.team_a1.pk))
    assert response.status_code == 403
    assert not Segment.objects.exists()


def test_leader_creates_a_segment_for_their_team(leader_client, org, leader):
    industry = IndustryFactory(name="Manufacturing")
    response = leader_client.post(
        reverse("targeting:segment-create"),
        _form_data(team=org.team_a1.pk, industries=[industry.pk], revenue_min="5000000", employees_max="500"),
    )
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == segment.get_absolute_url()
    assert (segment.team, segment.region, segment.created_by) == (org.team_a1, None, leader)
    assert list(segment.industries.all()) == [industry]
    assert (segment.revenue_min, segment.employees_max) == (Decimal("5000000"), 500)


def test_leader_form_offers_only_own_teams_and_no_region(leader_client, org):
    form = leader_client.get(reverse("targeting:segment-create")).context["form"]
    assert list(form.fields["team"].queryset) == [org.team_a1]
    assert not form.offers_regions


def test_leader_cannot_create_a_segment_for_another_team(leader_client, org):
    response = leader_client.post(reverse("targeting:segment-create"), _form_data(team=org.team_a2.pk))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Segment.objects.exists()


def test_director_creates_a_region_segment(director_client, org):
    response = director_client.post(reverse("targeting:segment-create"), _form_data(region=org.region_a.pk))
    assert response.status_code == 302
    assert Segment.objects.get().region == org.region_a


def test_director_cannot_create_a_segment_for_another_region(director_client, org):
    response = director_client.post(reverse("targeting:segment-create"), _form_data(region=org.region_b.pk))
    assert response.status_code == 400
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"revenue_min": "9000000", "revenue_max": "1000000"},
            "The revenue band&#x27;s lower bound is above its upper bound.",
        ),
        (
            {"employees_min": "500", "employees_max": "50"},
            "The employee band&#x27;s lower bound is above its upper bound.",
        ),
        ({"team": "TEAM", "region": "REGION"}, "A segment belongs either to a team or to a region."),
        ({}, "A segment belongs either to a team or to a region."),
        ({"team": "TEAM", "value_proposition": ""}, "This field is required."),
    ],
    ids=["revenue-band", "employee-band", "team-and-region", "neither", "no-value-proposition"],
)
def test_segment_form_explains_what_is_wrong_and_keeps_the_input(admin_client, org, overrides, message):
    replace = {"TEAM": org.team_a1.pk, "REGION": org.region_a.pk}
    data = _form_data(name="Kept name", **{k: replace.get(v, v) for k, v in overrides.items()})
    response = admin_client.post(reverse("targeting:segment-create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'value="Kept name"' in page
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("who", "segment", "status"),
    [
        ("rm_a1", "team_a1", 403),  # visible, not changeable
        ("rm_a1", "team_a2", 404),
        ("leader_a1", "team_a1", 200),
        ("leader_a1", "region_a", 403),  # a region segment is the director's
        ("leader_a1", "team_a2", 404),
        ("director_a", "team_a2", 200),
        ("director_a", "region_a", 200),
        ("director_a", "region_b", 404),
        ("admin", "team_b1", 200),
    ],
)
def test_segment_edit_and_delete_pages_follow_the_access_rule(client, org, segments, who, segment, status):
    client.force_login(getattr(org, who))
    pk = segments[segment].pk
    assert client.get(reverse("targeting:segment-update", args=[pk])).status_code == status
    assert client.get(reverse("targeting:segment-delete", args=[pk])).status_code == status


def test_leader_cannot_post_changes_to_another_teams_segment(leader_client, org, segments):
    target = segments["team_a2"]
    response = leader_client.post(
        reverse("targeting:segment-update", args=[target.pk]), _form_data(name="Hijack", team=org.team_a1.pk)
    )
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.name == "Seg team A2"


def test_leader_edits_own_team_segment(leader_client, org, segments):
    target = segments["team_a1"]
    response = leader_client.post(
        reverse("targeting:segment-update", args=[target.pk]),
        _form_data(name="Renamed", team=org.team_a1.pk, locations="Lille"),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.name, target.locations) == ("Renamed", "Lille")


def test_saving_a_segment_recomputes_the_teams_tiers(leader_client, org, segments):
    PriorityCriterionFactory(
        team=org.team_a1, kind="matches_segment", segment=segments["team_a1"], points=70
    )  # tier A from 60 by default
    account = AccountFactory(owner=org.rm_a1, location="Lille")
    leader_client.post(
        reverse("targeting:segment-update", args=[segments["team_a1"].pk]),
        _form_data(name="Lille", team=org.team_a1.pk, locations="Lille"),
    )
    account.refresh_from_db()
    assert (account.tier_score, account.tier_computed) == (70, "A")


def test_delete_confirms_then_deletes_with_the_criteria_naming_the_segment(leader_client, org, segments):
    target = segments["team_a1"]
    PriorityCriterionFactory(team=org.team_a1, kind="matches_segment", segment=target, points=10)
    page = leader_client.get(reverse("targeting:segment-delete", args=[target.pk])).content.decode()
    assert "Priority criteria that name this segment are removed with it" in page
    response = leader_client.post(reverse("targeting:segment-delete", args=[target.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("targeting:segment-list")
    assert not Segment.objects.filter(pk=target.pk).exists()
    assert not PriorityCriterion.objects.exists()


def test_leader_cannot_delete_a_region_segment(leader_client, segments):
    response = leader_client.post(reverse("targeting:segment-delete", args=[segments["region_a"].pk]))
    assert response.status_code == 403
    assert Segment.objects.filter(pk=segments["region_a"].pk).exists()
