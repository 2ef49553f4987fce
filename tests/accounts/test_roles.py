import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role, User
from tests.factories.accounts import RegionFactory, RMFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_role_follows_place_in_the_organisation(org):
    assert org.rm_a1.role == Role.RM
    assert org.leader_a1.role == Role.LEADER
    assert org.director_a.role == Role.DIRECTOR
    assert org.admin.role == Role.ADMIN
    assert UserFactory().role is None


def test_role_changes_when_the_place_changes(org):
    newcomer = UserFactory()
    assert newcomer.role is None
    org.team_b1.leader = newcomer
    org.team_b1.save()
    assert User.objects.get(pk=newcomer.pk).role == Role.LEADER


def test_a_leader_may_lead_several_teams():
    leader = UserFactory()
    TeamFactory(leader=leader)
    TeamFactory(leader=leader)
    assert leader.role == Role.LEADER
    assert leader.led_teams.count() == 2


def test_director_outranks_leader_and_admin_outranks_all():
    person = UserFactory()
    TeamFactory(leader=person)
    RegionFactory(director=person)
    assert User.objects.get(pk=person.pk).role == Role.DIRECTOR
    person.is_superuser = True
    person.save()
    assert User.objects.get(pk=person.pk).role == Role.ADMIN


def test_with_roles_gives_role_without_further_queries(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        roles = {u.pk: u.role for u in User.objects.with_roles()}
    assert roles[org.leader_a1.pk] == Role.LEADER
    assert roles[org.director_b.pk] == Role.DIRECTOR
    assert roles[org.rm_b1.pk] == Role.RM


@pytest.mark.parametrize("role", [Role.RM, Role.LEADER, Role.DIRECTOR, Role.ADMIN, None])
def test_with_role_filter_agrees_with_role_property(org, role):
    UserFactory()  # someone with no place
    filtered = set(User.objects.with_role(role).values_list("pk", flat=True))
    expected = {u.pk for u in User.objects.all() if u.role == role}
    assert filtered == expected
    assert expected


def test_login_email_is_unique_whatever_its_case():
    UserFactory(email="Camille.Martin@bank.example")
    with pytest.raises(ValidationError, match="already exists"):
        User(email="camille.martin@bank.example", display_name="Twin").validate_constraints()


def test_team_leader_cannot_be_a_member_of_the_team_they_lead():
    rm = RMFactory()
    team = rm.team
    team.leader = rm
    with pytest.raises(ValidationError, match="cannot also be one of its members"):
        team.full_clean()


def test_unknown_time_zone_is_refused():
    user = UserFactory.build(time_zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="not a known time zone"):
        user.full_clean(exclude=["password"])
