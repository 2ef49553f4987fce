"""Access matrix generated from the URL configuration: every route that takes an object id, every role.

For each route with an `<int:...>` argument, ACCESS_MAP says how to build "the same kind of object" for an
RM: one on rm_a1's side of the organisation ("mine") and one on rm_b1's ("theirs"). Then:

- rm_a1, leader_a1 and director_a on rm_b1's object answer 403 or 404, to GET and to an empty POST, never
  show the object's identifying text, and change nothing (the object is unchanged and still there);
- the roles in `may` (default: all four) open rm_a1's object: 200, or 405 for a POST-only route
  (whose empty POST is not sent: it could act);
- the admin opens both.

A new route with an object id and no entry here fails with "add <route name> to the access map".
Admin-site routes are left out: the admin site admits superusers only (tests/test_admin.py).
"""

from dataclasses import dataclass

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from coaching.models import SectionKey
from kpis.models import ImportJob
from tests.factories.coaching import (
    ActionItemFactory,
    CheckpointFactory,
    DevelopmentGoalFactory,
    NotificationFactory,
    PlanFactory,
    ProblemFactory,
    RelationshipActionFactory,
    RelationshipPlanFactory,
    RelationshipResultFactory,
    SemiannualReviewFactory,
)
from tests.factories.kpis import ActivityFactory, OpportunityFactory, StandardFactory, TargetFactory
from tests.factories.targeting import (
    AccountFactory,
    ContactFactory,
    NamedAccountEntryFactory,
    NamedAccountListFactory,
    SegmentFactory,
)
from tests.urlwalk import walk

ALL = frozenset({"rm", "leader", "director", "admin"})
MANAGERS = frozenset({"leader", "director", "admin"})


@dataclass(frozen=True)
class Entry:
    build: object  # (rm) -> (obj, url kwargs, identifying text)
    may: frozenset = ALL  # roles that open rm_a1's side
    post_only: bool = False


def _account(rm):
    return AccountFactory(owner=rm, legal_name=f"Account of {rm.display_name} SAS")


def _plan(rm):
    return PlanFactory(owner=rm)


def _checkpoint(rm):
    return CheckpointFactory(rm=rm)


def _by_pk(make, text=lambda obj, rm: rm.display_name):
    def build(rm):
        obj = make(rm)
        return obj, {"pk": obj.pk}, text(obj, rm)

    return build


def _named(rm):
    return NamedAccountListFactory(owner=rm)


def _relationship(rm):
    return RelationshipPlanFactory(plan=_plan(rm), account=_account(rm))


def _team(kwarg):
    return lambda rm: (rm.team, {kwarg: rm.team.pk}, rm.team.name)


def _user(kwarg):
    return lambda rm: (rm, {kwarg: rm.pk}, rm.display_name)


def _problem(rm):
    problem = ProblemFactory(checkpoint=_checkpoint(rm), description=f"Problem of {rm.display_name}")
    return problem, {"pk": problem.checkpoint_id, "problem_pk": problem.pk}, problem.description


def _action_item(rm):
    item = ActionItemFactory(checkpoint=_checkpoint(rm), description=f"Action of {rm.display_name}")
    return item, {"pk": item.checkpoint_id, "item_pk": item.pk}, item.description


def _import_job(rm):
    job = ImportJob.objects.create(kind="activities", created_by=rm.team.leader, file_name=f"{rm.pk}-x.csv")
    return job, {"job_pk": job.pk}, job.file_name


def _region(rm):
    region = rm.team.region
    return region, {"region_pk": region.pk}, region.name


_account_text = lambda obj, rm: obj.legal_name  # noqa: E731
_ACCOUNT = _by_pk(_account, _account_text)
_PLAN = _by_pk(_plan)
_CHECKPOINT = _by_pk(_checkpoint)
_SEMIANNUAL = _by_pk(lambda rm: SemiannualReviewFactory(checkpoint__rm=rm).checkpoint)

ACCESS_MAP: dict[str, Entry] = {
    # accounts
    "accounts:person-detail": Entry(_user("pk")),
    "accounts:team-detail": Entry(_team("pk"), may=MANAGERS),
    # targeting
    "targeting:account-detail": Entry(_ACCOUNT),
    "targeting:account-update": Entry(_ACCOUNT),
    "targeting:account-delete": Entry(_ACCOUNT),
    "targeting:account-reassign": Entry(_ACCOUNT, may=MANAGERS),
    "targeting:account-tier": Entry(_ACCOUNT),
    "targeting:contact-create": Entry(_ACCOUNT),
    "targeting:contact-update": Entry(
        _by_pk(lambda rm: ContactFactory(account=_account(rm)), lambda obj, rm: obj.account.legal_name)
    ),
    "targeting:contact-delete": Entry(
        _by_pk(lambda rm: ContactFactory(account=_account(rm)), lambda obj, rm: obj.account.legal_name)
    ),
    "targeting:segment-detail": Entry(_by_pk(lambda rm: SegmentFactory(team=rm.team, name=f"Seg {rm.pk}"))),
    "targeting:segment-update": Entry(_by_pk(lambda rm: SegmentFactory(team=rm.team)), may=MANAGERS),
    "targeting:segment-delete": Entry(_by_pk(lambda rm: SegmentFactory(team=rm.team)), may=MANAGERS),
    "targeting:team-targeting": Entry(_team("team_pk"), may=MANAGERS),
    "targeting:named-list-detail": Entry(_by_pk(_named)),
    "targeting:named-list-add": Entry(_by_pk(_named), post_only=True),
    "targeting:named-list-remove": Entry(
        _by_pk(lambda rm: NamedAccountEntryFactory(named_list=_named(rm))), post_only=True
    ),
    "targeting:account-named-add": Entry(_ACCOUNT, post_only=True),
    # kpis
    "kpis:activity-update": Entry(_by_pk(lambda rm: ActivityFactory(owner=rm, account=_account(rm)))),
    "kpis:activity-delete": Entry(_by_pk(lambda rm: ActivityFactory(owner=rm, account=_account(rm)))),
    "kpis:opportunity-detail": Entry(_by_pk(lambda rm: OpportunityFactory(owner=rm, account=_account(rm)))),
    "kpis:opportunity-update": Entry(_by_pk(lambda rm: OpportunityFactory(owner=rm, account=_account(rm)))),
    "kpis:opportunity-delete": Entry(_by_pk(lambda rm: OpportunityFactory(owner=rm, account=_account(rm)))),
    "kpis:target-update": Entry(_by_pk(lambda rm: TargetFactory(user=rm)), may=MANAGERS),
    "kpis:target-delete": Entry(_by_pk(lambda rm: TargetFactory(user=rm)), may=MANAGERS),
    "kpis:standard-update": Entry(_by_pk(lambda rm: StandardFactory(team=rm.team)), may=MANAGERS),
    "kpis:standard-delete": Entry(_by_pk(lambda rm: StandardFactory(team=rm.team)), may=MANAGERS),
    "kpis:dashboard-rm": Entry(_user("user_pk")),
    "kpis:dashboard-team": Entry(_team("team_pk"), may=MANAGERS),
    "kpis:dashboard-region": Entry(_region, may=frozenset({"director", "admin"})),
    # An import job is followed by whoever started it (and the admin): kpis.importers.jobs.
    "kpis:import-status": Entry(_import_job, may=frozenset({"leader", "admin"})),
    # coaching: plans
    "coaching:plan-detail": Entry(_PLAN),
    "coaching:plan-findings": Entry(_PLAN),
    "coaching:plan-section-save": Entry(
        lambda rm: (lambda p: (p, {"pk": p.pk, "key": SectionKey.STRATEGIES}, rm.display_name))(_plan(rm)),
        post_only=True,
    ),
    "coaching:plan-numbers-save": Entry(_PLAN, post_only=True),
    "coaching:plan-relationship-create": Entry(_PLAN, post_only=True),
    "coaching:plan-relationship-save": Entry(_by_pk(_relationship), post_only=True),
    "coaching:plan-relationship-delete": Entry(_by_pk(_relationship)),
    "coaching:plan-action-add": Entry(_by_pk(_relationship), post_only=True),
    "coaching:plan-action-delete": Entry(
        _by_pk(lambda rm: RelationshipActionFactory(relationship=_relationship(rm)))
    ),
    "coaching:plan-result-add": Entry(_by_pk(_relationship), post_only=True),
    "coaching:plan-result-delete": Entry(
        _by_pk(lambda rm: RelationshipResultFactory(relationship=_relationship(rm)))
    ),
    "coaching:plan-development-add": Entry(_PLAN, post_only=True),
    "coaching:plan-development-delete": Entry(_by_pk(lambda rm: DevelopmentGoalFactory(plan=_plan(rm)))),
    "coaching:plan-submit": Entry(_PLAN, may=frozenset({"rm"})),  # only the plan's owner submits it
    "coaching:plan-print": Entry(_PLAN),
    "coaching:plan-review": Entry(_PLAN, may=MANAGERS),
    "coaching:plan-reset": Entry(_PLAN, may=MANAGERS),
    "coaching:plan-revisions": Entry(_PLAN),
    "coaching:plan-revision-diff": Entry(_PLAN),
    # coaching: checkpoints
    "coaching:checkpoint-detail": Entry(_CHECKPOINT),
    "coaching:checkpoint-ics": Entry(_CHECKPOINT),
    "coaching:checkpoint-open": Entry(_CHECKPOINT, post_only=True),
    "coaching:checkpoint-close": Entry(_CHECKPOINT, post_only=True),
    "coaching:checkpoint-reschedule": Entry(_CHECKPOINT),
    "coaching:checkpoint-cancel": Entry(_CHECKPOINT, may=MANAGERS),
    "coaching:checkpoint-skip": Entry(_CHECKPOINT, may=MANAGERS),
    "coaching:checkpoint-held": Entry(_CHECKPOINT, may=MANAGERS),
    "coaching:checkpoint-notes": Entry(_CHECKPOINT, post_only=True),
    "coaching:checkpoint-problem-add": Entry(_CHECKPOINT, post_only=True),
    "coaching:checkpoint-problem-state": Entry(_problem, post_only=True),
    "coaching:checkpoint-action-add": Entry(_CHECKPOINT, post_only=True),
    "coaching:checkpoint-action-done": Entry(_action_item, post_only=True),
    "coaching:checkpoint-decision-add": Entry(_CHECKPOINT, post_only=True),
    "coaching:checkpoint-surprise-add": Entry(_CHECKPOINT, post_only=True),
    "coaching:checkpoint-plan-reset": Entry(_CHECKPOINT, post_only=True),
    "coaching:checkpoint-review-save": Entry(_SEMIANNUAL, post_only=True),
    "coaching:checkpoint-review-acknowledge": Entry(_SEMIANNUAL, post_only=True),
    "coaching:checkpoint-review-sign-off": Entry(_SEMIANNUAL, post_only=True),
    "coaching:notification-read": Entry(
        _by_pk(
            lambda rm: NotificationFactory(user=rm, title=f"For {rm.display_name}"), lambda o, rm: o.title
        ),
        post_only=True,
    ),
    "coaching:cadence-edit": Entry(_team("team_pk"), may=MANAGERS),
    "coaching:cadence-rm": Entry(_user("user_pk"), may=MANAGERS),
}

OBJECT_ROUTES = [r for r in walk() if "<int:" in r.pattern and not r.name.startswith("admin:")]
PLAIN_ROUTES = [r for r in walk() if "<" not in r.pattern and not r.name.startswith("admin:")]
DENIED = {403, 404}


def _snapshot(obj):
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    return None if fresh is None else model_to_dict(fresh)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _entry(route):
    entry = ACCESS_MAP.get(route.name)
    assert entry is not None, f"add {route.name} to the access map (tests/security/test_access_matrix.py)"
    return entry


def test_every_object_route_is_in_the_access_map():
    missing = [r.name for r in OBJECT_ROUTES if r.name not in ACCESS_MAP]
    assert not missing, "add " + ", ".join(missing) + " to the access map"
    stale = set(ACCESS_MAP) - {r.name for r in OBJECT_ROUTES}
    assert not stale, f"remove {sorted(stale)} from the access map: no such route any more"


@pytest.mark.django_db
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_other_side_is_hidden_and_unchanged(org, route):
    entry = _entry(route)
    theirs, kwargs, text = entry.build(org.rm_b1)
    path = reverse(route.name, kwargs=kwargs)
    before = _snapshot(theirs)
    for user in (org.rm_a1, org.leader_a1, org.director_a):
        client = _client(user)
        for method in ("get", "post"):
            if method == "get" and entry.post_only:
                continue
            response = getattr(client, method)(path)
            who = f"{user.display_name} {method.upper()} {route.name}"
            allowed = DENIED | {405} if method == "post" else DENIED  # 405: a page that takes no POST
            assert response.status_code in allowed, f"{who} on rm_b1's object answered {response.status_code}"
            assert text not in response.content.decode(errors="replace"), f"{who} shows {text!r}"
        assert _snapshot(theirs) == before, f"{user.display_name} changed rm_b1's object via {route.name}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_own_side_opens_for_the_roles_that_may(org, route):
    entry = _entry(route)
    _mine, kwargs, _text = entry.build(org.rm_a1)
    path = reverse(route.name, kwargs=kwargs)
    users = {"rm": org.rm_a1, "leader": org.leader_a1, "director": org.director_a, "admin": org.admin}
    for role, user in users.items():
        response = _client(user).get(path)
        if role not in entry.may:
            assert response.status_code in DENIED, f"{role} {route.name} answered {response.status_code}"
        elif entry.post_only:
            assert response.status_code == 405, f"{role} GET {route.name} answered {response.status_code}"
        else:
            assert response.status_code == 200, f"{role} GET {route.name} answered {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_admin_opens_the_other_side_too(org, route):
    entry = _entry(route)
    _obj, kwargs, _text = entry.build(org.rm_b1)
    response = _client(org.admin).get(reverse(route.name, kwargs=kwargs))
    expected = DENIED if "admin" not in entry.may else {405} if entry.post_only else {200}
    assert response.status_code in expected, f"admin GET {route.name} answered {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", PLAIN_ROUTES, ids=lambda r: r.name)
def test_plain_pages_never_fail_for_any_role(org, route):
    for user in (org.rm_a1, org.leader_a1, org.director_a, org.admin):
        response = _client(user).get(route.path)
        assert response.status_code in {200, 302, 403, 405}, (
            f"{user.display_name} GET {route.name} answered {response.status_code}"
        )
