"""`seed_demo` builds the whole demo once and changes nothing when run again.

One test on purpose: the demo holds two years of activity for 35 RMs, so it is built once and every
claim about it is checked on that one build.
"""

import pytest
from django.core.management import call_command

from accounts.models import Region, Role, Team, User
from kpis.models import Activity, BalanceSnapshot, Opportunity, PlanActual, Target
from targeting.models import Account, Contact, NamedAccountEntry, PriorityCriterion, Segment
from targeting.selectors import with_readiness

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(User.objects.order_by("pk").values_list("pk", "email", "display_name", "team_id", "password")),
        list(Team.objects.order_by("pk").values_list("pk", "name", "region_id", "leader_id")),
        list(Region.objects.order_by("pk").values_list("pk", "name", "director_id")),
        list(Account.objects.order_by("pk").values_list("pk", "legal_name", "owner_id", "tier_score", "tier_computed")),
        list(PlanActual.objects.order_by("pk").values_list("pk", "actual_to_date", "status", "computed_at")),
        _checkpoints(),
        Contact.objects.count(), NamedAccountEntry.objects.count(), Segment.objects.count(),
        PriorityCriterion.objects.count(), Activity.objects.count(), Opportunity.objects.count(),
        BalanceSnapshot.objects.count(), Target.objects.count(), _plans(),
    )  # fmt: skip


def _checkpoints():
    from coaching.models import ActionItem, Checkpoint

    return (
        list(Checkpoint.objects.order_by("pk").values_list("pk", "rm_id", "kind", "period", "status")),
        ActionItem.objects.count(),
    )


def _plans():
    from coaching.models import Plan, PlanSection

    return (
        list(Plan.objects.order_by("pk").values_list("pk", "owner_id", "status", "revision")),
        PlanSection.objects.count(),
    )


def test_seed_demo_builds_a_realistic_demo_and_a_second_run_changes_nothing(capsys):
    call_command("seed_demo")

    # The organisation.
    assert (Region.objects.count(), Team.objects.count()) == (3, 6)
    assert User.objects.with_role(Role.RM).count() == 35
    assert User.objects.with_role(Role.DIRECTOR).count() == 3
    leaders = User.objects.with_role(Role.LEADER)
    assert leaders.count() == 5 and any(leader.led_teams.count() == 2 for leader in leaders)
    out = capsys.readouterr().out
    assert (
        all(f"  {role} " in out for role in ("admin", "director", "leader", "rm")) and "salesplan-demo" in out
    )
    rm = User.objects.get(email="camille.martin@bank.example")
    assert rm.check_password("salesplan-demo")

    # Each RM's portfolio.
    accounts = Account.objects.filter(owner=rm)
    assert accounts.count() == 60
    assert accounts.filter(must_keep=True).exists() and accounts.filter(is_high_value=True).exists()
    assert accounts.filter(status="prospect").exists() and accounts.filter(status="active").exists()
    assert Contact.objects.filter(account__owner=rm).count() > 60
    assert set(accounts.values_list("tier_computed", flat=True)) >= {"A", "B", "C"}
    prospects = with_readiness(accounts.filter(status="prospect"))
    assert prospects.filter(is_ready=True).exists() and prospects.filter(is_ready=False).exists()
    assert rm.named_account_lists.get().entries.count() == 18

    # Their numbers: activity, deals, balances, targets and stored month-end snapshots.
    assert Activity.objects.filter(owner=rm).count() > 500
    assert Opportunity.objects.filter(owner=rm, stage="won").exists()
    assert Opportunity.objects.filter(owner=rm, stage__in=["prospecting", "engaging", "proposal"]).exists()
    assert BalanceSnapshot.objects.filter(account__owner=rm).exists()
    assert Target.objects.filter(user=rm, year=2026).count() >= 10
    assert (
        Target.objects.filter(team__isnull=False).exists()
        and Target.objects.filter(region__isnull=False).exists()
    )
    assert PlanActual.objects.filter(scope="rm", scope_id=rm.pk).exists()

    # Their plans, in every state a review board shows.
    from coaching.models import Plan, PlanRevision

    statuses = set(Plan.objects.filter(year=2026).values_list("status", flat=True))
    assert Plan.objects.filter(year=2026).count() == 35
    assert statuses == {"draft", "submitted", "approved", "changes_requested"}
    assert Plan.objects.filter(status="changes_requested").count() == 1
    assert PlanRevision.objects.filter(plan__status="approved").exists()

    # A past and a future of checkpoints: held ones with notes and snapshots, some late or skipped, upcoming ones.
    from django.utils import timezone

    from coaching.models import Checkpoint, SemiannualReview

    mine = Checkpoint.objects.filter(rm=rm)
    assert mine.filter(status="held", scheduled_at__lt=timezone.now()).exclude(leader_notes="").exists()
    assert mine.filter(status="held").exclude(snapshot={}).exists()
    assert (
        Checkpoint.objects.filter(held_late=True).exists()
        and Checkpoint.objects.filter(status="skipped").exists()
    )
    assert mine.filter(status="scheduled", scheduled_at__gt=timezone.now(), kind="weekly").count() == 8
    assert SemiannualReview.objects.filter(signed_off_at__isnull=False).exists()

    before = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == before
