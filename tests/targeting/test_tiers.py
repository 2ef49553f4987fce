"""Tier scoring end to end: the database UPDATE, the per-criterion explanation and `tier_for` agree.

One team with a criterion of every kind, hand-built accounts, and the expected score of each worked out
by hand below.
"""

from decimal import Decimal

import pytest

from targeting import selectors, services
from targeting.calculations import tier_for
from targeting.models import Account, AccountStatus, CriterionKind
from tests.factories.accounts import RMFactory, TeamFactory
from tests.factories.targeting import (
    AccountFactory,
    IndustryFactory,
    PriorityCriterionFactory,
    SegmentFactory,
    TeamTargetingFactory,
)

pytestmark = pytest.mark.django_db

TIER_A, TIER_B = 60, 30


@pytest.fixture
def scored_team(org):
    """team_a1 with thresholds A >= 60, B >= 30 and these criteria:

    | criterion                                  | points |
    | ------------------------------------------ | ------ |
    | revenue at least 10,000,000                | +20    |
    | employees at least 100                     | +10    |
    | matches "Makers" (Manufacturing, 50-500)   | +15    |
    | matches any of the team's segments         | +5     |
    | high-value                                 | +40    |
    | must keep                                  | +25    |
    | must expand                                | +12    |
    | products held at least 3                   | +8     |
    | active client                              | +7     |
    | employees at least 5,000 (a penalty)       | -30    |

    The team's segments are "Makers" (its own) and "Lyon" (its region's, location only); "Hotels" belongs
    to the neighbouring team and must not count for "any of the team's segments".
    """
    team = org.team_a1
    manufacturing = IndustryFactory(name="Manufacturing")
    hospitality = IndustryFactory(name="Hospitality")
    makers = SegmentFactory(name="Makers", team=team, employees_min=50, employees_max=500)
    makers.industries.set([manufacturing])
    SegmentFactory(name="Lyon", team=None, region=org.region_a, locations="Lyon")
    hotels = SegmentFactory(name="Hotels", team=org.team_a2)
    hotels.industries.set([hospitality])
    TeamTargetingFactory(team=team, tier_a_min_score=TIER_A, tier_b_min_score=TIER_B)
    for kind, threshold, segment, points in [
        (CriterionKind.REVENUE_AT_LEAST, Decimal("10000000"), None, 20),
        (CriterionKind.EMPLOYEES_AT_LEAST, Decimal("100"), None, 10),
        (CriterionKind.MATCHES_SEGMENT, None, makers, 15),
        (CriterionKind.MATCHES_SEGMENT, None, None, 5),
        (CriterionKind.HIGH_VALUE, None, None, 40),
        (CriterionKind.MUST_KEEP, None, None, 25),
        (CriterionKind.MUST_EXPAND, None, None, 12),
        (CriterionKind.PRODUCTS_AT_LEAST, Decimal("3"), None, 8),
        (CriterionKind.ACTIVE_CLIENT, None, None, 7),
        (CriterionKind.EMPLOYEES_AT_LEAST, Decimal("5000"), None, -30),
    ]:
        PriorityCriterionFactory(team=team, kind=kind, threshold=threshold, segment=segment, points=points)
    return {"team": team, "manufacturing": manufacturing, "hospitality": hospitality}


def _account(owner, **facts) -> Account:
    defaults = {
        "industry": None,
        "annual_revenue": None,
        "employees": None,
        "location": "",
        "status": AccountStatus.PROSPECT,
    }
    return AccountFactory(owner=owner, **{**defaults, **facts})


def test_recomputed_scores_equal_the_explanations_and_hand_worked_numbers(org, scored_team):
    manufacturing, hospitality = scored_team["manufacturing"], scored_team["hospitality"]
    rm, peer = org.rm_a1, org.rm_a1_peer
    expected = {
        # revenue 20 + employees 10 + Makers 15 + any segment 5 + high-value 40 + keep 25 + expand 12
        # + products 8 + active 7 = 142 -> A
        _account(
            rm,
            industry=manufacturing,
            annual_revenue=Decimal("20000000"),
            employees=200,
            location="Lyon",
            is_high_value=True,
            must_keep=True,
            must_expand=True,
            products_held=5,
            status=AccountStatus.ACTIVE,
        ): 142,
        # every threshold met exactly (they are inclusive): revenue 20 + employees 10 + Makers 15
        # + any segment 5 + products 8 = 58 -> B (one short of A)
        _account(
            peer,
            industry=manufacturing,
            annual_revenue=Decimal("10000000"),
            employees=100,
            location="Paris",
            products_held=3,
        ): 58,
        # the region's "Lyon" segment only ("Lyon 3e" contains "Lyon"): any segment 5 -> C
        _account(
            rm, industry=hospitality, annual_revenue=Decimal("2000000"), employees=20, location="Lyon 3e"
        ): 5,
        # unknown revenue, size, industry and location meet nothing; must keep 25 + products 8 = 33 -> B
        _account(rm, must_keep=True, products_held=3): 33,
        # the neighbouring team's "Hotels" segment does not count; products 2 < 3; a former client -> 0 -> C
        _account(
            peer, industry=hospitality, location="Marseille", products_held=2, status=AccountStatus.FORMER
        ): 0,
        # a very large high-value company: employees 10 + Makers? no (6,000 > 500) + high-value 40
        # + the 5,000-employee penalty -30 = 20 -> C
        _account(rm, industry=manufacturing, employees=6000, is_high_value=True): 20,
        # employees 10 + Makers 15 + any segment 5 + high-value 40 = 70 -> A
        _account(peer, industry=manufacturing, employees=100, is_high_value=True): 70,
    }
    elsewhere = AccountFactory(owner=org.rm_a2, is_high_value=True, tier_score=99, tier_computed="A")

    updated = services.tiers_recompute_team(team=scored_team["team"])

    assert updated == len(expected)
    for account, score in expected.items():
        account.refresh_from_db()
        explained = sum(result.points for result in selectors.tier_explanation(account=account))
        assert (account.tier_score, explained) == (score, score), account
        assert account.tier_computed == tier_for(score, TIER_A, TIER_B), account
    assert sorted(a.tier_computed for a in expected) == ["A", "A", "B", "B", "C", "C", "C"]
    elsewhere.refresh_from_db()
    assert (elsewhere.tier_score, elsewhere.tier_computed) == (99, "A")  # another team: untouched


def test_explanation_names_each_criterion_met(org, scored_team):
    account = _account(org.rm_a1, location="Lyon", must_expand=True)
    services.tiers_recompute_team(team=scored_team["team"])
    met = {
        (r.criterion.kind, r.criterion.points) for r in selectors.tier_explanation(account=account) if r.met
    }
    assert met == {(CriterionKind.MATCHES_SEGMENT, 5), (CriterionKind.MUST_EXPAND, 12)}
    account.refresh_from_db()
    assert (account.tier_score, account.tier_computed) == (17, "C")


def test_a_segment_without_criteria_matches_every_account_of_the_team(org):
    team = TeamFactory(region=org.region_a)
    SegmentFactory(name="Everyone", team=team)  # an empty profile
    PriorityCriterionFactory(team=team, kind=CriterionKind.MATCHES_SEGMENT, points=30)
    account = _account(RMFactory(team=team))
    services.tiers_recompute_team(team=team)
    account.refresh_from_db()
    assert account.tier_score == 30
    assert sum(r.points for r in selectors.tier_explanation(account=account)) == 30
