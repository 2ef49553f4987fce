"""Who changed what and when is recorded on plans, targets, checkpoints and semiannual reviews, and shown."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from coaching.models import Checkpoint, Plan, PlanSection, SectionKey, SemiannualReview
from coaching.selectors import plans as plan_selectors
from coaching.services import checkpoints as checkpoint_services
from coaching.services import plans as plan_services
from kpis.models import Target
from salesplan.history import object_history
from tests.factories.coaching import CheckpointFactory, SemiannualReviewFactory
from tests.factories.kpis import TargetFactory

pytestmark = pytest.mark.django_db


def _history_section(response) -> str:
    html = response.content.decode()
    assert 'data-testid="history"' in html, "the page has a History section"
    return html[html.index('data-testid="history"') :]


def test_the_audited_models_keep_history():
    for model in (Plan, PlanSection, Target, Checkpoint, SemiannualReview):
        assert hasattr(model, "history"), f"{model.__name__} has no HistoricalRecords"


def test_object_history_lists_who_changed_which_fields_newest_first_in_one_query(
    org, django_assert_num_queries
):
    target = TargetFactory(user=org.rm_a1, value=Decimal("100"))
    target.value = Decimal("120")
    target._history_user = org.leader_a1
    target.save()
    with django_assert_num_queries(1):
        records = object_history(target)
    assert [r.kind for r in records] == ["~", "+"]
    assert records[0].user == org.leader_a1
    assert records[0].changed == ("target",)


def test_the_plan_page_shows_who_submitted_the_plan(client, org):
    plan = plan_services.plan_create(owner=org.rm_a1, year=2026, by=org.rm_a1)
    plan_services.plan_submit(plan=plan, by=org.rm_a1, now=timezone.now())
    client.force_login(org.leader_a1)
    history = _history_section(client.get(plan.get_absolute_url()))
    assert "RM A1" in history and "Status" in history


def test_the_plans_history_says_who_opened_it(org):
    plan = plan_services.plan_create(owner=org.rm_a1, year=2026, by=org.leader_a1)
    [created] = object_history(plan)
    assert (created.kind, created.user) == ("+", org.leader_a1)


def test_the_plan_page_shows_who_edited_which_section_with_the_plans_own_changes(client, org):
    plan = plan_services.plan_create(owner=org.rm_a1, year=2026, by=org.rm_a1)
    section = plan.sections.get(key=SectionKey.TERRITORY)
    plan_services.section_save(plan=plan, key=SectionKey.TERRITORY, content="Agri-food SMEs in the north",
                               base_version=section.version, by=org.rm_a1)  # fmt: skip
    plan_services.plan_submit(plan=plan, by=org.rm_a1, now=timezone.now())
    records = plan_selectors.plan_history(plan=plan)
    assert [(r.user, r.changed) for r in records[:2]] == [
        (org.rm_a1, ("status", "submitted")),
        (org.rm_a1, ("Territory plan",)),
    ]  # newest first: the submission, then the section's edit
    client.force_login(org.leader_a1)
    history = _history_section(client.get(plan.get_absolute_url()))
    assert "Territory plan" in history and "RM A1" in history


def test_the_target_page_shows_who_changed_the_target(client, org):
    target = TargetFactory(user=org.rm_a1, value=Decimal("100"), year=2026)
    client.force_login(org.leader_a1)
    url = reverse("kpis:target-update", args=[target.pk])
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"owner": form["owner"].value(), "metric": target.metric_id, "value": "150"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    history = _history_section(client.get(url))
    assert "Leader A1" in history and "Target" in history


def test_the_checkpoint_page_shows_who_wrote_notes(client, org):
    checkpoint = CheckpointFactory(rm=org.rm_a1)
    checkpoint_services.checkpoint_notes_save(
        checkpoint=checkpoint, by=org.leader_a1, base_version=0, leader_notes="Good week"
    )
    client.force_login(org.rm_a1)
    history = _history_section(client.get(checkpoint.get_absolute_url()))
    assert "Leader A1" in history and "Leader&#x27;s notes" in history


def test_the_review_shows_who_acknowledged_it(client, org):
    review = SemiannualReviewFactory(checkpoint__rm=org.rm_a1)
    checkpoint_services.review_acknowledge(
        review=review, by=org.rm_a1, comment="Fair", now=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert object_history(review)[0].user == org.rm_a1
    client.force_login(org.leader_a1)
    html = client.get(review.checkpoint.get_absolute_url()).content.decode()
    assert html.count('data-testid="history"') == 2, "the review and the checkpoint each show their history"
