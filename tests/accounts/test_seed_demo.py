import pytest
from django.core.management import call_command

from accounts.models import Region, Role, Team, User

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(User.objects.order_by("pk").values_list("pk", "email", "display_name", "team_id", "password")),
        list(Team.objects.order_by("pk").values_list("pk", "name", "region_id", "leader_id")),
        list(Region.objects.order_by("pk").values_list("pk", "name", "director_id")),
    )


def test_seed_demo_builds_the_demo_organisation(capsys):
    call_command("seed_demo")
    assert Region.objects.count() == 3
    assert Team.objects.count() == 6
    assert User.objects.with_role(Role.RM).count() == 35
    assert User.objects.with_role(Role.DIRECTOR).count() == 3
    leaders = User.objects.with_role(Role.LEADER)
    assert leaders.count() == 5
    assert any(leader.led_teams.count() == 2 for leader in leaders)  # one leads two teams
    out = capsys.readouterr().out
    for role in ("admin", "director", "leader", "rm"):
        assert f"  {role} " in out
    assert "salesplan-demo" in out
    assert User.objects.get(email="camille.martin@bank.example").check_password("salesplan-demo")


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    before = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == before
