"""Targeting arithmetic on hand-worked cases, without the database."""

from decimal import Decimal

import pytest

from targeting.calculations import (
    MANAGER,
    OWNER,
    SENIOR_EXECUTIVE,
    STAFF,
    Company,
    LevelRule,
    Profile,
    contact_level_for,
    profile_match,
    research_checklist,
    tier_for,
)

PROFILE = Profile(
    industry_ids=frozenset({1, 2}),
    revenue_min=Decimal("5000000"),
    revenue_max=Decimal("50000000"),
    employees_min=50,
    employees_max=None,
    locations=("Lyon", "Grenoble"),
)


def test_company_meeting_every_criterion_is_a_full_match():
    match = profile_match(Company(1, Decimal("5000000"), 50, "Lyon 3e"), PROFILE)
    assert match.is_full and match.share == 1
    assert match.matched == ("industry", "revenue", "employees", "location")


def test_partial_match_counts_criteria_met():
    # industry no (3), revenue yes, employees no (49 < 50), location yes (case-insensitive): 2 of 4
    match = profile_match(Company(3, Decimal("6000000"), 49, "grenoble"), PROFILE)
    assert match.matched == ("revenue", "location")
    assert match.missed == ("industry", "employees")
    assert match.share == Decimal("0.5")


def test_unknown_company_facts_never_meet_a_criterion():
    match = profile_match(Company(None, None, None, ""), PROFILE)
    assert match.matched == () and match.share == 0


def test_profile_without_criteria_matches_everyone():
    assert profile_match(Company(None, None, None), Profile()).is_full


RULES = [
    LevelRule(None, 0, 249, OWNER, 1),
    LevelRule(None, 250, None, SENIOR_EXECUTIVE, 2),
    LevelRule(7, 0, None, MANAGER, 3),
    LevelRule(7, 1000, 4999, STAFF, 4),
]


@pytest.mark.parametrize(
    ("industry", "employees", "level", "rule"),
    [
        (1, 10, OWNER, 1),  # any-industry small band
        (1, 250, SENIOR_EXECUTIVE, 2),  # any-industry open band
        (7, 10, MANAGER, 3),  # the industry rule beats the any-industry rule
        (7, 2000, STAFF, 4),  # two industry rules apply: the narrower band wins
        (7, 6000, MANAGER, 3),
    ],
)
def test_most_specific_contact_level_rule_wins(industry, employees, level, rule):
    choice = contact_level_for(industry, employees, RULES)
    assert (choice.level, choice.rule.rule_id) == (level, rule)


@pytest.mark.parametrize(("employees", "level"), [(None, OWNER), (249, OWNER), (250, SENIOR_EXECUTIVE)])
def test_fallback_without_rules_is_owner_below_250_employees(employees, level):
    choice = contact_level_for(1, employees, [])
    assert choice.level == level and choice.rule is None


@pytest.mark.parametrize(("score", "tier"), [(60, "A"), (59, "B"), (30, "B"), (29, "C"), (-5, "C")])
def test_tier_bands(score, tier):
    assert tier_for(score, 60, 30) == tier


def test_prospect_is_ready_only_when_all_four_hold():
    ready = research_checklist(
        industry_id=1, target_level=2, contact_levels=[3, 1], research_notes="Sells bolts"
    )
    assert ready.ready and ready.done == 4


@pytest.mark.parametrize(
    ("kwargs", "missing", "done"),
    [
        ({"industry_id": None}, "industry_chosen", 3),
        # without a target level, no contact can be "at that level" either
        ({"target_level": None}, "target_level_assigned", 2),
        ({"contact_levels": [3, 4]}, "contact_found", 3),  # only contacts below the target level
        ({"research_notes": "   "}, "research_written", 3),
    ],
)
def test_each_missing_checklist_item_blocks_readiness(kwargs, missing, done):
    args = {
        "industry_id": 1,
        "target_level": 2,
        "contact_levels": [2],
        "research_notes": "Sells bolts",
    } | kwargs
    checklist = research_checklist(**args)
    assert not checklist.ready and checklist.done == done
    assert getattr(checklist, missing) is False
