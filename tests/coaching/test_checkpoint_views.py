"""The checkpoint pages: the list, the meeting page run in place (notes saved as you go with conflicts kept,
problems, actions carried, decisions, surprises, plan reset), its moves, the semiannual review, invites and
calendar feeds, notifications and cadences; access by role and object, and query budgets."""

import datetime as dt
from decimal import Decimal as D

import icalendar
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coaching.models import (
    ActionItem,
    Cadence,
    CalendarFeed,
    Checkpoint,
    CheckpointEvent,
    CheckpointKind,
    CheckpointStatus,
    Decision,
    Notification,
    PlanStatus,
    Problem,
    SemiannualReview,
    Surprise,
)
from coaching.services import checkpoints as services
from coaching.services import plans as plan_services
from kpis.models import MetricSource
from tests.factories.accounts import RMFactory
from tests.factories.kpis import MetricFactory, OpportunityFactory, TargetFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
_periods = iter(range(100_000))


def _checkpoint(rm, *, kind=CheckpointKind.WEEKLY, at=None, **fields) -> Checkpoint:
    """A checkpoint of `rm` with their team's leader, by default tomorrow at this hour."""
    at = at or timezone.now() + dt.timedelta(days=1)
    return Checkpoint.objects.create(
        rm=rm,
        leader=rm.team.leader,
        kind=kind,
        period=f"t{next(_periods)}",
        scheduled_at=at,
        originally_at=at,
        **fields,
    )


def _open(checkpoint: Checkpoint) -> Checkpoint:
    return services.checkpoint_open(checkpoint=checkpoint, by=checkpoint.leader, now=timezone.now())


def _off_track_target(rm):
    """Two conversations a day planned this year and none held: off track in any period."""
    metric = MetricFactory(code="conversations", name="Conversations", source=MetricSource.CONVERSATIONS)
    return TargetFactory(user=rm, metric=metric, year=timezone.localdate().year, value=D("730"))


def _text(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _follow_messages(client, response) -> list[str]:
    return _messages(client.get(response["Location"]))


def _client(user) -> Client:
    """A second browser, for a test where the leader and the RM both act."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def checkpoints(org):
    """One scheduled weekly checkpoint per RM of the organisation."""
    return {who: _checkpoint(getattr(org, who)) for who in ("rm_a1", "rm_a1_peer", "rm_a2", "rm_b1")}


# --- Access: every page, every role, own against others ------------------------------------------------

ACCESS = [
    # viewer, owner of the checkpoint, status of a page that reads it
    ("rm_a1", "rm_a1", 200),
    ("rm_a1", "rm_a1_peer", 404),
    ("rm_a1", "rm_b1", 404),
    ("leader_a1", "rm_a1", 200),
    ("leader_a1", "rm_a2", 404),
    ("leader_a2", "rm_a1", 404),
    ("director_a", "rm_a2", 200),
    ("director_a", "rm_b1", 404),
    ("director_b", "rm_b1", 200),
    ("admin", "rm_b1", 200),
]


@pytest.mark.parametrize("name", ["coaching:checkpoint-detail", "coaching:checkpoint-ics"])
@pytest.mark.parametrize(("viewer", "owner", "status"), ACCESS)
def test_meeting_pages_answer_whoever_sees_the_rm(client, org, checkpoints, name, viewer, owner, status):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse(name, args=[checkpoints[owner].pk]))
    assert response.status_code == status, f"{viewer} on {owner}'s checkpoint: {name}"


POSTS = [
    ("coaching:checkpoint-open", {}),
    ("coaching:checkpoint-close", {}),
    ("coaching:checkpoint-reschedule", {"at": "2030-01-07T10:00", "reason": "Client visit"}),
    ("coaching:checkpoint-cancel", {"reason": "Holiday"}),
    ("coaching:checkpoint-skip", {"reason": "Forgot"}),
    ("coaching:checkpoint-held", {"held_on": "2020-01-01T10:00"}),
    ("coaching:checkpoint-notes", {"field": "leader_notes", "text": "x", "base": "", "version": 0}),
    ("coaching:checkpoint-problem-add", {"problem-description": "x"}),
    ("coaching:checkpoint-action-add", {"action-description": "x", "action-due_date": "2030-01-01"}),
    ("coaching:checkpoint-decision-add", {"decision-text": "x"}),
    ("coaching:checkpoint-surprise-add", {"surprise-description": "x"}),
    ("coaching:checkpoint-plan-reset", {"reset-reason": "x"}),
    ("coaching:checkpoint-review-save", {}),
    ("coaching:checkpoint-review-acknowledge", {}),
    ("coaching:checkpoint-review-sign-off", {}),
]


@pytest.mark.parametrize(("name", "data"), POSTS, ids=[p[0] for p in POSTS])
@pytest.mark.parametrize(
    ("viewer", "owner"), [("rm_a1", "rm_a1_peer"), ("leader_a1", "rm_a2"), ("director_a", "rm_b1")]
)
def test_changes_to_an_invisible_checkpoint_answer_404_and_change_nothing(
    client, org, checkpoints, name, data, viewer, owner
):
    client.force_login(getattr(org, viewer))
    checkpoint = checkpoints[owner]
    response = client.post(reverse(name, args=[checkpoint.pk]), data)
    assert response.status_code == 404
    checkpoint.refresh_from_db()
    assert checkpoint.status == CheckpointStatus.SCHEDULED and checkpoint.version == 0
    assert not CheckpointEvent.objects.exists()


LEADER_ONLY = [
    "coaching:checkpoint-open",
    "coaching:checkpoint-cancel",
    "coaching:checkpoint-skip",
    "coaching:checkpoint-held",
]


@pytest.mark.parametrize("name", LEADER_ONLY)
def test_leader_only_moves_by_the_rm_are_forbidden(rm_client, checkpoints, name):
    checkpoint = checkpoints["rm_a1"]
    data = {"reason": "I'd rather not", "held_on": "2020-01-01T10:00"}
    assert rm_client.post(reverse(name, args=[checkpoint.pk]), data).status_code == 403
    checkpoint.refresh_from_db()
    assert checkpoint.status == CheckpointStatus.SCHEDULED


@pytest.mark.parametrize(
    "name",
    ["coaching:checkpoint-problem-add", "coaching:checkpoint-decision-add", "coaching:checkpoint-action-add"],
)
def test_the_rm_cannot_add_the_leaders_items(rm_client, checkpoints, name):
    checkpoint = _open(checkpoints["rm_a1"])
    data = {
        "problem-description": "x",
        "decision-text": "x",
        "action-description": "x",
        "action-due_date": "2030-01-01",
    }
    assert rm_client.post(reverse(name, args=[checkpoint.pk]), data, **HTMX).status_code == 403
    assert not (Problem.objects.exists() or Decision.objects.exists() or ActionItem.objects.exists())


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("rm_a1", {"RM A1"}),
        ("leader_a1", {"RM A1", "RM A1 peer"}),
        ("director_a", {"RM A1", "RM A1 peer", "RM A2"}),
        ("director_b", {"RM B1"}),
        ("admin", {"RM A1", "RM A1 peer", "RM A2", "RM B1"}),
    ],
)
def test_the_list_shows_the_checkpoints_the_viewer_may_see(client, org, checkpoints, viewer, expected):
    client.force_login(getattr(org, viewer))
    response = client.get(reverse("coaching:checkpoint-list"))
    assert response.status_code == 200
    assert {str(c.rm) for c in response.context["page_obj"].object_list} == expected


def test_the_list_is_upcoming_first_and_filters_past_kind_status_and_rm(leader_client, org):
    now = timezone.now()
    past = _checkpoint(org.rm_a1, at=now - dt.timedelta(days=10), status=CheckpointStatus.SKIPPED)
    later = _checkpoint(org.rm_a1, at=now + dt.timedelta(days=9), kind=CheckpointKind.MONTHLY)
    soon = _checkpoint(org.rm_a1_peer, at=now + dt.timedelta(days=2))
    url = reverse("coaching:checkpoint-list")
    rows = lambda r: list(r.context["page_obj"].object_list)  # noqa: E731
    assert rows(leader_client.get(url)) == [soon, later]
    assert rows(leader_client.get(url, {"when": "past"})) == [past]
    assert rows(leader_client.get(url, {"when": "", "kind": "monthly"})) == [later]
    assert rows(leader_client.get(url, {"when": "", "status": "skipped"})) == [past]
    assert rows(leader_client.get(url, {"when": "", "rm": org.rm_a1_peer.pk})) == [soon]
    assert rows(leader_client.get(url, {"when": "", "ordering": "-date"})) == [later, soon, past]
    day = timezone.localtime(soon.scheduled_at).date().isoformat()
    assert rows(leader_client.get(url, {"when": "", "date_from": day, "date_to": day})) == [soon]
    page = _text(leader_client.get(url, {"when": "past"}))
    assert "Skipped" in page


def test_the_list_refuses_an_rm_the_viewer_may_not_see(leader_client, org, checkpoints):
    response = leader_client.get(reverse("coaching:checkpoint-list"), {"rm": org.rm_b1.pk})
    assert list(response.context["page_obj"].object_list) == []
    assert "Select a valid choice" in _text(response)


def test_the_list_paginates_25_a_page(rm_client, org):
    start = timezone.now() + dt.timedelta(days=1)
    for n in range(30):
        _checkpoint(org.rm_a1, at=start + dt.timedelta(days=n))
    _checkpoint(org.rm_a1, at=start - dt.timedelta(days=30))  # past: not in the default list
    response = rm_client.get(reverse("coaching:checkpoint-list"), {"page": 2})
    page = response.context["page_obj"]
    assert page.number == 2 and len(page.object_list) == 5 and page.paginator.count == 30
    assert "when=upcoming&amp;page=1" in _text(response)


# --- Running the meeting ------------------------------------------------------------------------------


def test_before_opening_the_page_shows_the_agenda_and_the_leaders_open_button(leader_client, checkpoints):
    page = _text(leader_client.get(checkpoints["rm_a1"].get_absolute_url()))
    for item in ("Deals", "Activities", "Field observation", "Behaviours", "Skills"):
        assert item in page
    assert "Open meeting" in page and "Close meeting" not in page


def test_the_rm_sees_no_open_button(rm_client, checkpoints):
    page = _text(rm_client.get(checkpoints["rm_a1"].get_absolute_url()))
    assert "Open meeting" not in page and "Your leader opens the meeting" in page


def test_opening_shows_the_snapshot_and_the_off_track_metric_as_a_proposed_problem(
    leader_client, org, checkpoints
):
    _off_track_target(org.rm_a1)
    checkpoint = checkpoints["rm_a1"]
    response = leader_client.post(reverse("coaching:checkpoint-open", args=[checkpoint.pk]))
    assert response.status_code == 302
    assert "The meeting is open" in _follow_messages(leader_client, response)[0]
    checkpoint.refresh_from_db()
    assert checkpoint.status == CheckpointStatus.OPEN
    [problem] = checkpoint.problems.all()
    assert problem.proposed and problem.metric.code == "conversations"
    response = leader_client.get(checkpoint.get_absolute_url())
    page = _text(response)
    [row] = response.context["snapshot_rows"]
    assert row["metric"] == "Conversations" and row["actual"] == "0" and row["status"] == "off_track"
    assert row["attainment"] == "0 %"
    assert 'data-status="off_track"' in page
    assert "Conversations is off track" in page and ">proposed<" in page
    assert "since " in page and "Close meeting" in page


def test_the_snapshot_names_each_metric_in_the_readers_language_whoever_opened_the_meeting(org, checkpoints):
    metric = MetricFactory(code="appointments", name="Appointments", source=MetricSource.APPOINTMENTS)
    TargetFactory(user=org.rm_a1, metric=metric, year=timezone.localdate().year, value=D("100"))
    org.leader_a1.language, org.rm_a1.language = "fr", "en"
    org.leader_a1.save(update_fields=["language"])
    org.rm_a1.save(update_fields=["language"])
    checkpoint = checkpoints["rm_a1"]
    leader, rm = Client(), Client()
    leader.force_login(org.leader_a1)
    rm.force_login(org.rm_a1)
    leader.post(reverse("coaching:checkpoint-open", args=[checkpoint.pk]))
    [row] = leader.get(checkpoint.get_absolute_url()).context["snapshot_rows"]
    assert row["metric"] == "Rendez-vous"
    [row] = rm.get(checkpoint.get_absolute_url()).context["snapshot_rows"]
    assert row["metric"] == "Appointments"  # not the French its opener read
    checkpoint.refresh_from_db()  # a snapshot taken before the catalogue name was kept: shown as stored
    checkpoint.snapshot["rows"][0].pop("metric_name")
    checkpoint.save(update_fields=["snapshot"])
    [row] = rm.get(checkpoint.get_absolute_url()).context["snapshot_rows"]
    assert row["metric"] == "Rendez-vous"


def test_a_problem_is_dismissed_and_confirmed_again(leader_client, org, checkpoints):
    _off_track_target(org.rm_a1)
    checkpoint = _open(checkpoints["rm_a1"])
    problem = checkpoint.problems.get()
    url = reverse("coaching:checkpoint-problem-state", args=[checkpoint.pk, problem.pk])
    response = leader_client.post(url, {"confirmed": "0"}, **HTMX)
    assert response.status_code == 200 and "dismissed" in _text(response)
    problem.refresh_from_db()
    assert problem.confirmed is False
    leader_client.post(url, {"confirmed": "1"}, **HTMX)
    problem.refresh_from_db()
    assert problem.confirmed is True and problem.proposed is True


def test_a_problem_a_decision_and_a_surprise_are_added_in_place(leader_client, org, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    response = leader_client.post(
        reverse("coaching:checkpoint-problem-add", args=[checkpoint.pk]),
        {"problem-description": "Too few CFO meetings"},
        **HTMX,
    )
    assert response.status_code == 200 and 'id="problems"' in _text(response)
    assert "Too few CFO meetings" in _text(response)
    response = leader_client.post(
        reverse("coaching:checkpoint-decision-add", args=[checkpoint.pk]),
        {"decision-text": "Focus on logistics for Q1"},
        **HTMX,
    )
    assert "Focus on logistics for Q1" in _text(response)
    # Surprises come from both sides.
    response = _client(org.rm_a1).post(
        reverse("coaching:checkpoint-surprise-add", args=[checkpoint.pk]),
        {
            "surprise-description": "The regional CEO wants a pitch by Friday",
            "surprise-response": "Leader joins",
        },
        **HTMX,
    )
    assert response.status_code == 200 and "The regional CEO wants a pitch by Friday" in _text(response)
    assert Surprise.objects.get().response == "Leader joins"
    assert Problem.objects.get().proposed is False


def test_an_empty_decision_is_refused_with_the_input_kept(leader_client, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    response = leader_client.post(
        reverse("coaching:checkpoint-decision-add", args=[checkpoint.pk]), {"decision-text": ""}, **HTMX
    )
    assert response.status_code == 400 and "This field is required" in _text(response)
    assert not Decision.objects.exists()


# --- Notes saved as you go --------------------------------------------------------------------------


def _note(client, checkpoint, field, text, *, base="", version=None):
    version = checkpoint.version if version is None else version
    data = {"field": field, "text": text, "base": base, "version": version}
    return client.post(reverse("coaching:checkpoint-notes", args=[checkpoint.pk]), data, **HTMX)


def test_notes_autosave_and_answer_saved_with_the_new_version(leader_client, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    response = _note(leader_client, checkpoint, "agenda:deals", "Dupont renewal slipping")
    assert response.status_code == 200
    assert "Saved at" in _text(response) and 'name="version" value="1"' in _text(response)
    response = _note(leader_client, checkpoint, "agenda:skills", "Practise the CFO pitch", version=1)
    checkpoint.refresh_from_db()
    assert checkpoint.agenda_notes == {"deals": "Dupont renewal slipping", "skills": "Practise the CFO pitch"}
    assert checkpoint.version == 2


def test_a_stale_save_of_another_box_goes_through(leader_client, org, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    assert _note(_client(org.rm_a1), checkpoint, "rm_notes", "I need help with pricing").status_code == 200
    # The leader's page still has version 0: their box did not change meanwhile, so nothing conflicts.
    response = _note(leader_client, checkpoint, "leader_notes", "Pricing workshop", version=0)
    assert response.status_code == 200
    checkpoint.refresh_from_db()
    assert (checkpoint.rm_notes, checkpoint.leader_notes) == ("I need help with pricing", "Pricing workshop")


def test_a_stale_save_of_the_same_box_keeps_both_versions(client, org, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    # Another window of someone above the RM saved the leader's notes meanwhile.
    services.checkpoint_notes_save(
        checkpoint=checkpoint, by=org.director_a, base_version=0, leader_notes="Theirs"
    )
    client.force_login(org.leader_a1)
    response = _note(client, checkpoint, "leader_notes", "Mine", base="", version=0)
    assert response.status_code == 409
    page = _text(response)
    assert "The other person saved this note while you typed" in page
    assert "Theirs" in page and 'name="version" value="1"' in page and 'name="base" value="Theirs"' in page
    checkpoint.refresh_from_db()
    assert checkpoint.leader_notes == "Theirs"  # nothing overwritten...
    response = _note(client, checkpoint, "leader_notes", "Mine and theirs", base="Theirs", version=1)
    assert response.status_code == 200
    checkpoint.refresh_from_db()
    assert checkpoint.leader_notes == "Mine and theirs"  # ...until the writer keeps their merge


def test_without_javascript_a_conflict_shows_the_page_with_both_versions(client, org, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    services.checkpoint_notes_save(
        checkpoint=checkpoint, by=org.director_a, base_version=0, leader_notes="Theirs"
    )
    client.force_login(org.leader_a1)
    data = {"field": "leader_notes", "text": "Mine", "base": "", "version": 0}
    response = client.post(reverse("coaching:checkpoint-notes", args=[checkpoint.pk]), data)
    assert response.status_code == 409
    assert ">Mine</textarea>" in _text(response) and "Theirs" in _text(response)


def test_the_rm_cannot_write_the_leaders_notes(rm_client, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    assert _note(rm_client, checkpoint, "leader_notes", "Sneaky").status_code == 403
    assert _note(rm_client, checkpoint, "agenda:deals", "Sneaky").status_code == 403
    checkpoint.refresh_from_db()
    assert checkpoint.leader_notes == "" and checkpoint.agenda_notes == {}


def test_the_rm_prepares_before_the_meeting_and_the_leader_reads_it(leader_client, org, checkpoints):
    checkpoint = checkpoints["rm_a1"]
    assert (
        _note(_client(org.rm_a1), checkpoint, "prep_notes", "Won Martin SA; lost Dupont").status_code == 200
    )
    page = _text(leader_client.get(checkpoint.get_absolute_url()))
    assert "Won Martin SA; lost Dupont" in page
    assert 'name="text"' not in page.split('id="prep"')[1].split("</section>")[0]  # read-only for the leader


# --- Action items -----------------------------------------------------------------------------------


def test_actions_are_added_marked_done_and_an_undone_one_is_carried_to_the_next_meeting(
    leader_client, org, checkpoints
):
    first = _open(checkpoints["rm_a1"])
    add = reverse("coaching:checkpoint-action-add", args=[first.pk])
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = leader_client.post(
        add,
        {"action-description": "Call Dupont's CFO", "action-owner": org.rm_a1.pk, "action-due_date": due},
        **HTMX,
    )
    assert response.status_code == 200 and "Call Dupont&#x27;s CFO" in _text(response)
    leader_client.post(
        add, {"action-description": "Send the pricing grid", "action-owner": org.leader_a1.pk, "action-due_date": due},
        **HTMX,
    )  # fmt: skip
    grid = ActionItem.objects.get(description="Send the pricing grid")
    assert grid.owner == org.leader_a1
    response = leader_client.post(
        reverse("coaching:checkpoint-action-done", args=[first.pk, grid.pk]), **HTMX
    )
    assert response.status_code == 200
    grid.refresh_from_db()
    assert grid.done_at is not None and grid.done_in == first
    leader_client.post(reverse("coaching:checkpoint-close", args=[first.pk]))

    later = _checkpoint(org.rm_a1, at=first.scheduled_at + dt.timedelta(days=7))
    response = leader_client.get(later.get_absolute_url())
    assert [i.description for i in response.context["carried"]] == ["Call Dupont's CFO"]
    carried_from = first.scheduled_at.astimezone(timezone.get_current_timezone())
    assert f"carried from {carried_from.day} " in _text(response)


def test_an_action_owner_must_be_the_rm_or_the_leader(leader_client, org, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    response = leader_client.post(
        reverse("coaching:checkpoint-action-add", args=[checkpoint.pk]),
        {"action-description": "x", "action-owner": org.rm_a1_peer.pk, "action-due_date": "2030-01-01"},
        **HTMX,
    )
    assert response.status_code == 400 and "Select a valid choice" in _text(response)
    assert not ActionItem.objects.exists()


# --- Closing, and the moves of a meeting ----------------------------------------------------------------


def test_closing_freezes_the_meeting(leader_client, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    _note(leader_client, checkpoint, "leader_notes", "Good week")
    response = leader_client.post(reverse("coaching:checkpoint-close", args=[checkpoint.pk]))
    assert "recorded as held" in _follow_messages(leader_client, response)[0]
    checkpoint.refresh_from_db()
    assert checkpoint.status == CheckpointStatus.HELD
    response = _note(leader_client, checkpoint, "leader_notes", "Changed afterwards", base="Good week")
    assert response.status_code == 400 and "This meeting is closed: its notes are frozen." in _text(response)
    response = leader_client.post(
        reverse("coaching:checkpoint-decision-add", args=[checkpoint.pk]), {"decision-text": "Late"}
    )
    assert _follow_messages(leader_client, response) == ["This meeting is closed."]
    checkpoint.refresh_from_db()
    assert checkpoint.leader_notes == "Good week" and not Decision.objects.exists()
    page = _text(leader_client.get(checkpoint.get_absolute_url()))
    assert "Good week" in page and 'name="text"' not in page and "Close meeting" not in page


def test_reschedule_records_the_move_with_its_reason_in_the_viewers_time_zone(rm_client, rm, checkpoints):
    rm.time_zone = "America/Montreal"
    rm.save()
    checkpoint = checkpoints["rm_a1"]
    url = reverse("coaching:checkpoint-reschedule", args=[checkpoint.pk])
    assert rm_client.get(url).status_code == 200
    response = rm_client.post(url, {"at": "2030-01-07T10:00", "reason": ""})
    assert response.status_code == 400 and "Say why the meeting moves." in _text(response)
    assert 'value="2030-01-07T10:00"' in _text(response)  # the input is kept
    response = rm_client.post(url, {"at": "2030-01-07T10:00", "reason": "Client visit in Lyon"})
    assert response.status_code == 302
    checkpoint.refresh_from_db()
    assert checkpoint.scheduled_at == dt.datetime(2030, 1, 7, 15, 0, tzinfo=dt.UTC)  # 10:00 in Montreal
    event = checkpoint.events.get()
    assert event.action == "rescheduled" and event.note.endswith("Client visit in Lyon") and event.by == rm
    assert "Client visit in Lyon" in _text(rm_client.get(checkpoint.get_absolute_url()))


@pytest.mark.parametrize(("name", "status"), [("cancel", "cancelled"), ("skip", "skipped")])
def test_cancel_and_skip_need_a_reason_and_record_it(leader_client, checkpoints, name, status):
    checkpoint = checkpoints["rm_a1"]
    url = reverse(f"coaching:checkpoint-{name}", args=[checkpoint.pk])
    response = leader_client.post(url, {"reason": " "})
    assert response.status_code == 400 and "Give a reason." in _text(response)
    response = leader_client.post(url, {"reason": "Client emergency"})
    assert response.status_code == 302
    checkpoint.refresh_from_db()
    assert (checkpoint.status, checkpoint.reason) == (status, "Client emergency")
    assert checkpoint.events.get().action == status
    page = _text(leader_client.get(checkpoint.get_absolute_url()))
    assert "Client emergency" in page and "Open meeting" not in page


def test_a_meeting_held_outside_the_app_is_recorded_late(leader_client, org):
    checkpoint = _checkpoint(org.rm_a1, at=timezone.now() - dt.timedelta(days=10))
    held_on = timezone.localtime(timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = leader_client.post(
        reverse("coaching:checkpoint-held", args=[checkpoint.pk]), {"held_on": held_on}
    )
    assert _follow_messages(leader_client, response) == ["The meeting is recorded as held late."]
    checkpoint.refresh_from_db()
    assert checkpoint.status == CheckpointStatus.HELD and checkpoint.held_late
    future = timezone.localtime(timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    other = _checkpoint(org.rm_a1)
    response = leader_client.post(reverse("coaching:checkpoint-held", args=[other.pk]), {"held_on": future})
    assert response.status_code == 400 and "cannot have been held in the future" in _text(response)


# --- Plan reset from the meeting ----------------------------------------------------------------------


def test_the_leader_resets_the_approved_plan_and_it_is_recorded_as_a_decision(
    leader_client, org, checkpoints
):
    rm = org.rm_a1
    plan = plan_services.plan_create(owner=rm, year=timezone.localdate().year, by=rm)
    plan = plan_services.plan_submit(plan=plan, by=rm, now=timezone.now())
    plan = plan_services.plan_approve(plan=plan, by=org.leader_a1, now=timezone.now())
    checkpoint = _open(checkpoints["rm_a1"])
    assert "Reset the plan" in _text(leader_client.get(checkpoint.get_absolute_url()))
    url = reverse("coaching:checkpoint-plan-reset", args=[checkpoint.pk])
    assert leader_client.post(url, {"reset-reason": ""}).status_code == 400
    response = leader_client.post(url, {"reset-reason": "Dupont is lost"})
    assert "revision 2 is open" in _follow_messages(leader_client, response)[0]
    plan.refresh_from_db()
    assert (plan.status, plan.revision, plan.reset_reason) == (PlanStatus.DRAFT, 2, "Dupont is lost")
    assert checkpoint.decisions.get().text == "Plan reset: Dupont is lost"


def test_no_plan_reset_form_without_an_approved_plan_or_for_the_rm(leader_client, org, checkpoints):
    rm_client = _client(org.rm_a1)
    checkpoint = _open(checkpoints["rm_a1"])
    assert "Reset the plan" not in _text(leader_client.get(checkpoint.get_absolute_url()))
    assert "Reset the plan" not in _text(rm_client.get(checkpoint.get_absolute_url()))
    assert rm_client.post(reverse("coaching:checkpoint-plan-reset", args=[checkpoint.pk])).status_code == 403


# --- The semiannual review ----------------------------------------------------------------------------

REVIEW = {
    "review-version": 0,
    "review-results_rating": 4,
    "review-results_comment": "Loans +12%",
    "review-standards_rating": 3,
    "review-standards_comment": "",
    "review-skills_rating": 3,
    "review-skills_comment": "",
    "review-development_rating": 2,
    "review-development_comment": "Pricing course not taken",
    "review-overall_comment": "A solid half-year.",
}


def test_semiannual_review_is_saved_acknowledged_signed_off_and_then_locked(client, org):
    checkpoint = _checkpoint(org.rm_a1, kind=CheckpointKind.SEMIANNUAL)
    client.force_login(org.leader_a1)
    client.get(client.post(reverse("coaching:checkpoint-open", args=[checkpoint.pk]))["Location"])
    review = SemiannualReview.objects.get(checkpoint=checkpoint)  # created when the meeting opens
    save = reverse("coaching:checkpoint-review-save", args=[checkpoint.pk])
    response = client.post(save, REVIEW)
    assert _follow_messages(client, response) == ["The review has been saved."]
    review.refresh_from_db()
    assert (review.results_rating, review.overall_comment, review.version) == (4, "A solid half-year.", 1)
    # A save from the old version keeps both: the form has the writer's text, the alert has theirs.
    response = client.post(save, {**REVIEW, "review-overall_comment": "Stale text"})
    assert response.status_code == 409 and "Stale text" in _text(response)
    # Sign-off waits for the RM.
    sign_off = reverse("coaching:checkpoint-review-sign-off", args=[checkpoint.pk])
    assert _follow_messages(client, client.post(sign_off)) == ["The RM has not acknowledged the review yet."]

    client.force_login(org.rm_a1)
    assert client.post(save, {**REVIEW, "review-version": 1}).status_code == 403
    ack = reverse("coaching:checkpoint-review-acknowledge", args=[checkpoint.pk])
    response = client.post(ack, {"ack-comment": "Agreed, I'll take the course."})
    assert _follow_messages(client, response) == ["You have acknowledged the review."]

    client.force_login(org.leader_a1)
    assert _follow_messages(client, client.post(sign_off)) == ["The review is signed off and locked."]
    review.refresh_from_db()
    assert review.is_locked and review.rm_comment == "Agreed, I'll take the course."
    response = client.post(save, {**REVIEW, "review-version": 1, "review-overall_comment": "Changed"})
    assert _follow_messages(client, response) == ["This review is signed off and locked."]
    review.refresh_from_db()
    assert review.overall_comment == "A solid half-year."
    page = _text(client.get(checkpoint.get_absolute_url()))
    assert "locked" in page and "Save the review" not in page


def test_only_a_semiannual_checkpoint_has_a_review(leader_client, checkpoints):
    checkpoint = _open(checkpoints["rm_a1"])
    assert not SemiannualReview.objects.exists()
    assert "Semiannual performance review" not in _text(leader_client.get(checkpoint.get_absolute_url()))
    assert (
        leader_client.post(
            reverse("coaching:checkpoint-review-save", args=[checkpoint.pk]), REVIEW
        ).status_code
        == 404
    )


# --- Invites and calendar feeds -----------------------------------------------------------------------


def test_the_invite_is_one_event_with_a_stable_uid_its_time_zone_and_both_people(leader_client, org):
    at = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)  # 09:00 in Paris
    checkpoint = _checkpoint(org.rm_a1, at=at, duration_minutes=45)
    response = leader_client.get(reverse("coaching:checkpoint-ics", args=[checkpoint.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["uid"]) == f"checkpoint-{checkpoint.pk}@salesplan"
    start = event.decoded("dtstart")
    assert start == at and str(start.tzinfo) == "Europe/Paris" and start.hour == 9
    assert event.decoded("dtend") - start == dt.timedelta(minutes=45)
    assert str(event["summary"]) == "Weekly checkpoint: RM A1 / Leader A1"
    assert "Field observation" in str(event["description"])
    assert f"/coaching/checkpoints/{checkpoint.pk}/" in str(event["description"])
    assert str(event["organizer"]) == f"mailto:{org.leader_a1.email}"
    assert str(event["attendee"]) == f"mailto:{org.rm_a1.email}"
    again = leader_client.get(reverse("coaching:checkpoint-ics", args=[checkpoint.pk]))
    assert str(icalendar.Calendar.from_ical(again.content).walk("VEVENT")[0]["uid"]) == str(event["uid"])


def test_the_calendar_feed_works_by_token_without_login_and_holds_only_the_owners_meetings(client, org):
    now = timezone.now()
    own = _checkpoint(org.rm_a1, at=now + dt.timedelta(days=3))
    _checkpoint(org.rm_a1, at=now + dt.timedelta(days=200))  # too far ahead
    _checkpoint(org.rm_a1, at=now + dt.timedelta(days=4), status=CheckpointStatus.CANCELLED)
    _checkpoint(org.rm_a1_peer, at=now + dt.timedelta(days=3))  # someone else's
    client.force_login(org.rm_a1)
    page = client.get(reverse("coaching:calendar-feed"))
    feed = CalendarFeed.objects.get(user=org.rm_a1)
    assert feed.token in _text(page)
    client.logout()
    response = client.get(reverse("coaching:calendar-feed-ics", args=[feed.token]))
    assert response.status_code == 200
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"checkpoint-{own.pk}@salesplan"]
    # The leader's feed holds the meetings they run: both RMs of their team.
    leader_feed = services.calendar_feed_for(user=org.leader_a1)
    response = client.get(reverse("coaching:calendar-feed-ics", args=[leader_feed.token]))
    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) == 2


def test_a_wrong_token_is_404_and_a_reset_token_stops_the_old_address(client, org):
    assert client.get(reverse("coaching:calendar-feed-ics", args=["not-a-token"])).status_code == 404
    client.force_login(org.rm_a1)
    client.get(reverse("coaching:calendar-feed"))
    old = CalendarFeed.objects.get(user=org.rm_a1).token
    response = client.post(reverse("coaching:calendar-feed-reset"))
    assert "The old one stops working" in _follow_messages(client, response)[0]
    new = CalendarFeed.objects.get(user=org.rm_a1).token
    assert new != old
    client.logout()
    assert client.get(reverse("coaching:calendar-feed-ics", args=[old])).status_code == 404
    assert client.get(reverse("coaching:calendar-feed-ics", args=[new])).status_code == 200


# --- Notifications ------------------------------------------------------------------------------------


def test_notifications_list_newest_first_unread_in_bold_and_mark_read(client, org):
    mine = [
        Notification.objects.create(
            user=org.rm_a1, key=f"k{n}", title=f"Reminder {n}", url="/coaching/checkpoints/"
        )
        for n in range(3)
    ]
    other = Notification.objects.create(user=org.rm_b1, key="x", title="Not yours")
    client.force_login(org.rm_a1)
    response = client.get(reverse("coaching:notification-list"))
    assert [n.title for n in response.context["page_obj"].object_list] == [
        "Reminder 2",
        "Reminder 1",
        "Reminder 0",
    ]
    assert "Not yours" not in _text(response) and response.context["unread"] == 3
    assert client.post(reverse("coaching:notification-read", args=[other.pk])).status_code == 404
    response = client.post(reverse("coaching:notification-read", args=[mine[0].pk]), {"open": "1"})
    assert response["Location"] == "/coaching/checkpoints/"
    mine[0].refresh_from_db()
    assert mine[0].read_at is not None
    response = client.post(reverse("coaching:notification-read-all"))
    assert _follow_messages(client, response) == ["2 notifications marked read."]
    assert not Notification.objects.filter(user=org.rm_a1, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_the_navigation_badge_counts_only_the_viewers_unread_notifications(client, org):
    Notification.objects.create(user=org.rm_a1, key="a", title="A")
    Notification.objects.create(user=org.rm_a1, key="b", title="B", read_at=timezone.now())
    Notification.objects.create(user=org.rm_b1, key="c", title="C")
    client.force_login(org.rm_a1)
    badge = _text(client.get(reverse("coaching:notification-badge")))
    assert 'data-testid="unread-badge"' in badge and ">1<" in badge
    client.force_login(org.leader_a1)
    assert _text(client.get(reverse("coaching:notification-badge"))) == "<span></span>"


# --- Cadence ------------------------------------------------------------------------------------------

CADENCE = {
    "weekly": "on",
    "weekday": 2,
    "time": "14:30",
    "monthly": "on",
    "monthly_day": 3,
    "duration_minutes": 30,
    "reminder_hours": 24,
    "late_tolerance_days": 2,
}


@pytest.mark.parametrize(
    ("viewer", "team", "status"),
    [
        ("leader_a1", "team_a1", 200),
        ("leader_a1", "team_a2", 404),
        ("director_a", "team_a2", 200),
        ("director_a", "team_b1", 404),
        ("admin", "team_b1", 200),
        ("rm_a1", "team_a1", 403),
        ("rm_a1", "team_b1", 404),
    ],
)
def test_team_cadence_access(client, org, viewer, team, status):
    client.force_login(getattr(org, viewer))
    assert client.get(reverse("coaching:cadence-edit", args=[getattr(org, team).pk])).status_code == status


def test_saving_a_team_cadence_schedules_the_meetings_at_once(leader_client, org):
    url = reverse("coaching:cadence-edit", args=[org.team_a1.pk])
    response = leader_client.post(url, CADENCE)
    assert response.status_code == 302
    message = _follow_messages(leader_client, response)[0]
    assert "new meetings scheduled" in message and "keep their date and time" in message
    cadence = Cadence.objects.get(team=org.team_a1)
    assert (cadence.weekday, cadence.time, cadence.quarterly) == (2, dt.time(14, 30), False)
    weekly = Checkpoint.objects.filter(rm=org.rm_a1, kind=CheckpointKind.WEEKLY)
    assert weekly.exists()
    assert {timezone.localtime(c.scheduled_at).weekday() for c in weekly} == {2}
    assert not Checkpoint.objects.filter(rm=org.rm_a1, kind=CheckpointKind.QUARTERLY).exists()


def test_a_wrong_monthly_day_is_refused_with_the_input_kept(leader_client, org):
    response = leader_client.post(
        reverse("coaching:cadence-edit", args=[org.team_a1.pk]), {**CADENCE, "monthly_day": 15}
    )
    assert response.status_code == 400 and 'value="15"' in _text(response)
    assert not Cadence.objects.exists()


def test_an_rm_cadence_overrides_the_team_and_can_be_removed(leader_client, org):
    url = reverse("coaching:cadence-rm", args=[org.rm_a1.pk])
    assert leader_client.get(url).status_code == 200
    response = leader_client.post(url, {**CADENCE, "weekday": 4})
    assert "RM A1's own cadence is saved." in _follow_messages(leader_client, response)[0]
    assert Cadence.objects.get(rm=org.rm_a1).weekday == 4
    response = leader_client.post(url, {"action": "remove"})
    assert _follow_messages(leader_client, response) == ["RM A1 follows the team's cadence again."]
    assert not Cadence.objects.filter(rm=org.rm_a1).exists()


@pytest.mark.parametrize(
    ("viewer", "rm", "status"),
    [
        ("leader_a1", "rm_a1", 200),
        ("leader_a1", "rm_a2", 404),
        ("rm_a1", "rm_a1", 403),
        ("director_b", "rm_a1", 404),
    ],
)
def test_rm_cadence_access(client, org, viewer, rm, status):
    client.force_login(getattr(org, viewer))
    assert client.get(reverse("coaching:cadence-rm", args=[getattr(org, rm).pk])).status_code == status


# --- Query budgets ------------------------------------------------------------------------------------


def _fill(checkpoint: Checkpoint, n: int) -> None:
    """n of everything the meeting page lists."""
    rm, leader = checkpoint.rm, checkpoint.leader
    earlier = _checkpoint(rm, at=checkpoint.scheduled_at - dt.timedelta(days=7))
    for i in range(n):
        Problem.objects.create(checkpoint=checkpoint, description=f"Problem {i}")
        Decision.objects.create(checkpoint=checkpoint, text=f"Decision {i}")
        Surprise.objects.create(checkpoint=checkpoint, description=f"Surprise {i}")
        for source in (earlier, checkpoint):
            ActionItem.objects.create(
                checkpoint=source,
                rm=rm,
                owner=leader,
                description=f"Action {i}",
                due_date=dt.date(2030, 1, 1),
            )
        OpportunityFactory(owner=rm)
        CheckpointEvent.objects.create(checkpoint=checkpoint, action="rescheduled", by=leader, note="x")
        metric = MetricFactory(source=MetricSource.CONVERSATIONS)
        TargetFactory(user=rm, metric=metric, year=timezone.localdate().year)


def test_meeting_page_query_count_does_not_grow_with_its_content(
    leader_client, org, django_assert_num_queries
):
    checkpoint = _open(_checkpoint(org.rm_a1))
    _fill(checkpoint, 3)
    url = checkpoint.get_absolute_url()
    # session, user (with role), the checkpoint (RM, team, leader, review), problems, decisions, surprises,
    # events (with who), can_run's visibility check, action items (owner, meeting), deals in play (account,
    # product), the RM's approved plan, the checkpoint's history (with who; salesplan.history)
    with django_assert_num_queries(12):
        assert leader_client.get(url).status_code == 200
    _fill(checkpoint, 20)
    with django_assert_num_queries(12):
        assert leader_client.get(url).status_code == 200


def test_list_query_count_does_not_grow_with_the_rows(admin_client, org, django_assert_num_queries):
    def grow(n):
        for team in (org.team_a1, org.team_b1):
            for rm in RMFactory.create_batch(n, team=team):
                _checkpoint(rm)

    grow(2)
    url = reverse("coaching:checkpoint-list")
    # session, user, teams for the cadence menu, RMs for the filter, count, page (RM, team, leader joined)
    with django_assert_num_queries(6):
        assert admin_client.get(url).status_code == 200
    grow(10)
    with django_assert_num_queries(6):
        assert admin_client.get(url).status_code == 200
