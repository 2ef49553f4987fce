"""Targeting services and selectors against the real database."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from targeting import selectors, services
from targeting.models import Account, AccountStatus, ContactLevel, CriterionKind
from tests.factories.targeting import (
    AccountFactory,
    ContactFactory,
    ContactLevelRuleFactory,
    IndustryFactory,
    NamedAccountEntryFactory,
    PriorityCriterionFactory,
    SegmentFactory,
    TeamTargetingFactory,
)

pytestmark = pytest.mark.django_db


def test_readiness_in_the_database_agrees_with_the_checklist(rm):
    industry = IndustryFactory()
    cases = [
        AccountFactory(owner=rm, industry=industry, target_level=2, research_notes="Exports wine"),  # ready
        AccountFactory(owner=rm, industry=None, target_level=2, research_notes="x"),
        AccountFactory(owner=rm, industry=industry, target_level=None, research_notes="x"),
        AccountFactory(owner=rm, industry=industry, target_level=2, research_notes="   "),
        AccountFactory(owner=rm, industry=industry, target_level=1, research_notes="x"),  # contact too junior
    ]
    for account in cases:
        ContactFactory(account=account, level=ContactLevel.SENIOR_EXECUTIVE)
    annotated = {a.pk: a.is_ready for a in selectors.with_readiness(Account.objects.all())}
    for account in cases:
        assert annotated[account.pk] == selectors.account_checklist(account).ready
    assert [annotated[a.pk] for a in cases] == [True, False, False, False, False]


def test_segment_filter_in_the_database_agrees_with_profile_match(rm):
    manufacturing = IndustryFactory(name="Manufacturing")
    segment = SegmentFactory(
        team=rm.team, revenue_min=Decimal("1000000"), employees_max=200, locations="Lyon, Grenoble"
    )
    segment.industries.set([manufacturing])
    accounts = [
        AccountFactory(owner=rm, industry=manufacturing, annual_revenue=Decimal("1000000"), employees=200,
                       location="Grenoble"),
        AccountFactory(owner=rm, industry=manufacturing, annual_revenue=Decimal("999999"), employees=20,
                       location="Lyon"),
        AccountFactory(owner=rm, industry=manufacturing, annual_revenue=None, employees=20, location="Lyon"),
        AccountFactory(owner=rm, industry=IndustryFactory(), annual_revenue=Decimal("2e6"), employees=20,
                       location="Lyon"),
        AccountFactory(owner=rm, industry=manufacturing, annual_revenue=Decimal("2e6"), employees=20,
                       location="Paris"),
    ]  # fmt: skip
    in_db = set(Account.objects.filter(selectors.segment_q(segment)).values_list("pk", flat=True))
    in_python = {
        a.pk
        for a in accounts
        if selectors.calculations.profile_match(
            selectors.company_of(a), selectors.profile_of(segment)
        ).is_full
    }
    assert in_db == in_python == {accounts[0].pk}


def test_account_matches_are_listed_best_first(rm):
    industry = IndustryFactory()
    full = SegmentFactory(team=rm.team, name="Full", employees_min=10)
    half = SegmentFactory(team=rm.team, name="Half", employees_min=10, locations="Nice")
    full.industries.set([industry])
    half.industries.set([industry])
    SegmentFactory(team=rm.team, name="None", employees_min=5000)
    account = AccountFactory(owner=rm, industry=industry, employees=20, location="Paris")
    matches = selectors.account_segment_matches(account=account, viewer=rm)
    assert [(m.segment.name, m.match.share) for m in matches] == [("Full", 1), ("Half", Decimal(2) / 3)]


def test_saving_an_account_recomputes_its_tier(rm):
    TeamTargetingFactory(team=rm.team, tier_a_min_score=50, tier_b_min_score=20)
    PriorityCriterionFactory(team=rm.team, kind=CriterionKind.HIGH_VALUE, points=30)
    PriorityCriterionFactory(
        team=rm.team, kind=CriterionKind.REVENUE_AT_LEAST, threshold=Decimal("1e6"), points=25
    )
    account = AccountFactory(owner=rm, annual_revenue=Decimal("5e6"))
    services.tiers_recompute_team(team=rm.team)
    account.refresh_from_db()
    assert (account.tier_score, account.tier) == (25, "B")
    account.is_high_value = True
    account = services.account_save(account=account, by=rm)
    assert (account.tier_score, account.tier) == (55, "A")
    explanation = selectors.tier_explanation(account=account)
    assert sum(r.points for r in explanation) == 55


def test_tier_override_needs_a_reason_and_shows_as_overridden(rm):
    account = AccountFactory(owner=rm)
    with pytest.raises(ValidationError, match="A tier override needs a reason"):
        services.account_set_tier_override(account=account, tier="A", reason="  ", by=rm)
    account = services.account_set_tier_override(
        account=account, tier="A", reason="Group parent is a client", by=rm
    )
    assert account.tier == "A" and account.tier_is_overridden
    account = services.account_set_tier_override(account=account, tier="", reason="", by=rm)
    assert account.tier == account.tier_computed and not account.tier_is_overridden


def test_rm_cannot_change_another_rms_account(org):
    account = AccountFactory(owner=org.rm_a1_peer)
    account.location = "Nice"
    with pytest.raises(PermissionDenied):
        services.account_save(account=account, by=org.rm_a1)


def test_only_a_leader_changes_the_owner_and_the_reason_is_recorded(org):
    account = AccountFactory(owner=org.rm_a1)
    with pytest.raises(PermissionDenied, match="Only a team leader"):
        services.account_reassign(account=account, new_owner=org.rm_a1_peer, by=org.rm_a1, reason="Holiday")
    with pytest.raises(ValidationError, match="Choose a relationship manager of your own teams"):
        services.account_reassign(account=account, new_owner=org.rm_b1, by=org.leader_a1, reason="Move")
    services.account_reassign(
        account=account, new_owner=org.rm_a1_peer, by=org.leader_a1, reason="Portfolio split"
    )
    latest = account.history.latest()
    assert latest.owner_id == org.rm_a1_peer.pk
    assert latest.history_user == org.leader_a1
    assert latest.history_change_reason == "Portfolio split"


def test_new_primary_contact_replaces_the_old_one(rm):
    account = AccountFactory(owner=rm)
    first = ContactFactory(account=account, is_primary=True)
    second = ContactFactory.build(account=account, is_primary=True, level=ContactLevel.MANAGER)
    services.contact_save(contact=second, by=rm)
    first.refresh_from_db()
    assert not first.is_primary and second.is_primary


def test_named_account_list_refuses_past_the_limit_saying_who_sets_it(org):
    rm = org.rm_a1
    TeamTargetingFactory(team=rm.team, named_account_limit=2)
    accounts = AccountFactory.create_batch(3, owner=rm)
    services.named_account_add(owner=rm, year=2026, account=accounts[0], by=rm)
    services.named_account_add(owner=rm, year=2026, account=accounts[1], by=rm)
    with pytest.raises(ValidationError, match=r"the limit is 2 accounts, set by your team leader Leader A1"):
        services.named_account_add(owner=rm, year=2026, account=accounts[2], by=rm)
    assert services.named_list_for(owner=rm, year=2026).entries.count() == 2


def test_named_account_list_takes_only_the_owners_accounts(org):
    with pytest.raises(ValidationError, match="Only accounts RM A1 owns"):
        services.named_account_add(
            owner=org.rm_a1, year=2026, account=AccountFactory(owner=org.rm_a1_peer), by=org.leader_a1
        )
    entry = NamedAccountEntryFactory(named_list__owner=org.rm_a1)
    with pytest.raises(ValidationError, match="already on the list"):
        services.named_account_add(owner=org.rm_a1, year=2026, account=entry.account, by=org.rm_a1)


def test_default_limit_is_25_when_the_leader_set_none(rm):
    limit, leader = selectors.named_account_limit(owner=rm)
    assert (limit, leader) == (25, rm.team.leader)


def test_suggested_contact_level_comes_from_the_rules(rm):
    industry = IndustryFactory()
    ContactLevelRuleFactory(industry=industry, employees_min=0, level=ContactLevel.MANAGER)
    account = AccountFactory(owner=rm, industry=industry, employees=30, status=AccountStatus.PROSPECT)
    assert selectors.suggested_contact_level(account).level == ContactLevel.MANAGER
