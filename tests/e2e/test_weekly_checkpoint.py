"""A leader runs a weekly checkpoint in the browser, from opening to closing: the snapshot and the proposed
problem appear, agenda notes save as they are typed, last meeting's action is ticked off, a new action and a
decision are recorded, and the closed meeting reads as held, frozen."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coaching.models import ActionItem, Checkpoint, CheckpointKind, CheckpointStatus, Decision
from kpis.models import MetricSource
from tests.factories.kpis import MetricFactory, OpportunityFactory, TargetFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user, password):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def _meeting(rm, at, period, **fields) -> Checkpoint:
    return Checkpoint.objects.create(
        rm=rm, leader=rm.team.leader, kind=CheckpointKind.WEEKLY, period=period, scheduled_at=at,
        originally_at=at, **fields,
    )  # fmt: skip


def test_a_leader_runs_a_weekly_checkpoint_from_opening_to_closing(page, live_server, org, password, shot):
    rm, leader = org.rm_a1, org.leader_a1
    now = timezone.now()
    # Two conversations a day planned this year, none held: off track.
    metric = MetricFactory(code="conversations", name="Conversations", source=MetricSource.CONVERSATIONS)
    TargetFactory(user=rm, metric=metric, year=timezone.localdate().year, value=D("730"))
    OpportunityFactory(owner=rm, name="Credit line renewal", value=D("250000"))
    last = _meeting(
        rm,
        now - dt.timedelta(days=7),
        "e2e-1",
        status=CheckpointStatus.HELD,
        held_at=now - dt.timedelta(days=7),
    )
    carried = ActionItem.objects.create(
        checkpoint=last, rm=rm, owner=rm, description="Call Dupont's CFO about the renewal",
        due_date=timezone.localdate() - dt.timedelta(days=1),
    )  # fmt: skip
    checkpoint = _meeting(
        rm, now + dt.timedelta(minutes=30), "e2e-2", prep_notes="Won Martin SA. Dupont is slipping."
    )

    _log_in(page, live_server, leader, password)
    page.goto(f"{live_server.url}/coaching/checkpoints/")
    page.get_by_test_id("checkpoint-row").filter(has_text="RM A1").first.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/coaching/checkpoints/{checkpoint.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("Scheduled")
    expect(page.get_by_test_id("agenda")).to_contain_text("Field observation")
    expect(page.get_by_test_id("carried-action")).to_contain_text("carried from")
    expect(page.locator("#prep")).to_contain_text("Dupont is slipping")
    shot("checkpoint-before-opening")

    # Opening takes the snapshot and proposes the off-track metric as a problem.
    page.get_by_role("button", name="Open meeting").click()
    expect(page.get_by_role("alert").first).to_contain_text("The meeting is open")
    expect(page.get_by_test_id("status")).to_have_text("In progress")
    row = page.get_by_test_id("snapshot-row")
    expect(row).to_contain_text("Conversations")
    expect(row).to_contain_text("Off track")
    problem = page.get_by_test_id("problem")
    expect(problem).to_contain_text("proposed")
    expect(problem).to_contain_text("Conversations is off track")

    # Notes on two agenda items save as they are typed.
    deals = page.get_by_test_id("note-agenda-deals")
    deals.get_by_role("textbox").press_sequentially("Dupont renewal: meet the CFO before Friday.")
    expect(deals.get_by_test_id("note-status")).to_contain_text("Saved", timeout=10_000)
    skills = page.get_by_test_id("note-agenda-skills")
    skills.get_by_role("textbox").press_sequentially("Practise the payback argument.")
    expect(skills.get_by_test_id("note-status")).to_contain_text("Saved", timeout=10_000)

    # Last meeting's action is done; a new action and a decision are recorded in place.
    done = page.get_by_role("button", name="Mark “Call Dupont's CFO about the renewal” done")
    done.click()
    expect(done).to_have_count(0)
    expect(page.get_by_test_id("carried-action")).to_contain_text("Done")
    actions = page.locator("#actions")
    actions.get_by_label("Action").fill("Send the pricing grid to Martin SA")
    actions.get_by_label("Owner").select_option(label="Leader A1")
    actions.get_by_role("button", name="Add action item").click()
    expect(page.get_by_test_id("new-action")).to_contain_text("Send the pricing grid to Martin SA")
    page.locator("#decisions").get_by_role("textbox").fill("Focus on Dupont and Martin SA this week")
    page.get_by_role("button", name="Add decision").click()
    expect(page.get_by_test_id("decision")).to_have_text("Focus on Dupont and Martin SA this week")
    shot("checkpoint-during")

    # Closing freezes it.
    page.get_by_role("button", name="Close meeting").click()
    page.get_by_role("button", name="Close and freeze").click()
    expect(page.get_by_role("alert").first).to_contain_text("recorded as held")
    expect(page.get_by_test_id("status")).to_have_text("Held")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("note-agenda-deals-text")).to_contain_text("meet the CFO before Friday")
    expect(page.locator("textarea")).to_have_count(0)
    expect(page.get_by_role("button", name="Add decision")).to_have_count(0)
    expect(page.get_by_role("button", name="Close meeting")).to_have_count(0)
    shot("checkpoint-after-closing")

    checkpoint.refresh_from_db()
    carried.refresh_from_db()
    assert checkpoint.status == CheckpointStatus.HELD and not checkpoint.held_late
    assert checkpoint.agenda_notes == {
        "deals": "Dupont renewal: meet the CFO before Friday.",
        "skills": "Practise the payback argument.",
    }
    assert carried.done_in == checkpoint
    assert ActionItem.objects.get(checkpoint=checkpoint).owner == leader
    assert Decision.objects.get(checkpoint=checkpoint).text == "Focus on Dupont and Martin SA this week"
