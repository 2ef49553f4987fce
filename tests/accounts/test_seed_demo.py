import pytest
from django.core.management import call_command

from accounts.models import Region, Role, Team, User

pytestmark = pytest.mark.django_db


def _snapshot():
    from targeting.models import Account, Contact, NamedAccountEntry, PriorityCriterion, Segment

    return (
        list(
            Account.objects.order_by("pk").values_list(
                "pk", "legal_name", "owner_id", "tier_score", "tier_computed"
            )
        ),
        Contact.objects.count(),
        NamedAccountEntry.objects.count(),
        Segment.objects.count(),
        PriorityCriterion.objects.count(),
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


def test_seed_demo_gives_every_rm_a_realistic_portfolio():
    from targeting.models import Account, Contact
    from targeting.selectors import with_readiness

    call_command("seed_demo")
    rm = User.objects.get(email="camille.martin@bank.example")
    accounts = Account.objects.filter(owner=rm)
    assert accounts.count() == 60
    assert accounts.filter(must_keep=True).exists() and accounts.filter(is_high_value=True).exists()
    assert accounts.filter(status="prospect").exists() and accounts.filter(status="active").exists()
    assert Contact.objects.filter(account__owner=rm).count() > 60
    assert set(accounts.values_list("tier_computed", flat=True)) >= {"A", "B", "C"}
    prospects = with_readiness(accounts.filter(status="prospect"))
    assert prospects.filter(is_ready=True).exists() and prospects.filter(is_ready=False).exists()
    assert rm.named_account_lists.get().entries.count() == 18


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    before = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == before
