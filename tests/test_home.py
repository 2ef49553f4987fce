"""The role-aware home page, drawn from every app, with a query budget that does not grow with the data."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from coaching.models import Checkpoint
from coaching.services import plans as plan_services
from tests.factories.accounts import RMFactory, TeamFactory
from tests.factories.kpis import ActivityFactory, TargetFactory

pytestmark = pytest.mark.django_db


def test_rm_home_shows_own_team_leader_and_region_but_not_colleagues(rm_client, org):
    page = rm_client.get(reverse("home")).content.decode()
    assert "Team A1" in page and "Leader A1" in page and "Region A" in page
    assert org.rm_a1_peer.display_name not in page
    assert "Team A2" not in page


def test_rm_home_shows_the_plan_the_numbers_and_the_next_checkpoints(rm_client, org):
    from kpis.models import Metric

    today = timezone.localdate()
    plan_services.plan_create(owner=org.rm_a1, year=today.year, by=org.rm_a1)
    TargetFactory(
        user=org.rm_a1, metric=Metric.objects.get(code="conversations"), value=D("600"), year=today.year
    )
    at = timezone.now() + dt.timedelta(days=2)
    Checkpoint.objects.create(rm=org.rm_a1, leader=org.leader_a1, kind="weekly", period="2099-W01",
                              scheduled_at=at, originally_at=at)  # fmt: skip
    response = rm_client.get(reverse("home"))
    page = response.content.decode()
    assert "Draft" in page and "Open your plan" in page
    assert "Conversations" in page and 'data-status="off_track"' in page
    assert "not prepared yet" in page
    assert [c.rm for c in response.context["upcoming"]] == [org.rm_a1]


def test_leader_home_lists_team_members_plans_to_review_and_cadence_health(leader_client, org):
    plan = plan_services.plan_create(owner=org.rm_a1, year=timezone.localdate().year, by=org.rm_a1)
    plan_services.plan_submit(plan=plan, by=org.rm_a1, now=timezone.now())
    response = leader_client.get(reverse("home"))
    page = response.content.decode()
    assert "RM A1 peer" in page
    assert "RM A2" not in page and "RM B1" not in page
    assert "1 plan waits for your review." in page
    assert [h.label for h in response.context["health"]] == ["RM A1", "RM A1 peer"]


def test_director_home_compares_own_region_teams_and_leaders_cadence(director_client, org):
    response = director_client.get(reverse("home"))
    page = response.content.decode()
    assert "Team A1" in page and "Team A2" in page
    assert "Team B1" not in page
    assert {h.label for h in response.context["health"]} == {"Leader A1", "Leader A2"}


def test_admin_home_shows_whole_organisation_and_unplaced_people(admin_client, org):
    unplaced = User.objects.create_user("new.hire@bank.example", display_name="New Hire")
    response = admin_client.get(reverse("home"))
    page = response.content.decode()
    assert "Team B1" in page and "Region B" in page
    assert unplaced.display_name in page
    counts = response.context["counts"]
    assert (counts.regions, counts.teams, counts.rms, counts.without_place) == (2, 3, 4, 1)


def test_person_without_place_is_told_to_ask_an_admin(client):
    loner = User.objects.create_user("loner@bank.example", display_name="Loner")
    client.force_login(loner)
    assert "no place in the organisation yet" in client.get(reverse("home")).content.decode()


def _grow(org, per_team: int) -> None:
    """More people, plans, meetings and activity: the page must not run more queries for them."""
    year = timezone.localdate().year
    for team in (org.team_a1, org.team_a2, org.team_b1):
        for rm in RMFactory.create_batch(per_team, team=team):
            plan_services.plan_create(owner=rm, year=year, by=rm)
            at = timezone.now() + dt.timedelta(days=1)
            Checkpoint.objects.create(rm=rm, leader=team.leader, kind="weekly", period="2099-W01",
                                      scheduled_at=at, originally_at=at)  # fmt: skip
            ActivityFactory.create_batch(2, owner=rm, date=dt.date(year, 1, 5))
    TeamFactory.create_batch(2, region=org.region_a)


@pytest.mark.parametrize(
    ("who", "queries"),
    [
        # session, user; team with members; upcoming checkpoints; unread notifications; plan; metrics;
        # plan versus actual: owners, targets, the latest month end of each balance metric (none here, so
        # no balance sum), accounts (new clients and retention), won deals, activities
        ("rm_a1", 15),
        # session, user; upcoming; unread; teams + members; review board (16); cadence health (2)
        ("leader_a1", 24),
        # session, user; upcoming; unread; regions + teams; cadence health by leader (2)
        ("director_a", 8),
        # session, user; 5 organisation counts; regions + teams; unplaced; cadence health by region (2)
        ("admin", 12),
    ],
)
def test_home_query_count_does_not_grow_with_the_organisation(
    client, org, who, queries, django_assert_num_queries
):
    client.force_login(getattr(org, who))
    _grow(org, 3)
    with django_assert_num_queries(queries):
        assert client.get(reverse("home")).status_code == 200
    _grow(org, 12)
    with django_assert_num_queries(queries):
        assert client.get(reverse("home")).status_code == 200
