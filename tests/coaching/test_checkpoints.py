"""Checkpoints against the real database: idempotent scheduling, the meeting's snapshot, carry-over,
closing and locking, exactly-once reminders and cadence health."""

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from coaching.models import (
    ActionItem,
    Cadence,
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Notification,
    ReminderKind,
    ReminderSent,
)
from coaching.selectors.checkpoints import cadence_health, open_action_items, reminders_due
from coaching.services import checkpoints as services
from kpis.models import MetricSource
from tests.factories.kpis import ActivityFactory, MetricFactory, TargetFactory

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # a Tuesday


_periods = iter(range(10_000))


def _checkpoint(org, rm=None, kind=CheckpointKind.WEEKLY, at=None, period=None, **kw):
    rm = rm or org.rm_a1
    at = at or NOW + dt.timedelta(days=6)
    return Checkpoint.objects.create(
        rm=rm,
        leader=rm.team.leader,
        kind=kind,
        period=period or f"t{next(_periods)}",
        scheduled_at=at,
        originally_at=at,
        **kw,
    )


@pytest.mark.django_db
def test_scheduling_creates_eight_weeks_and_the_next_longer_meetings(org):
    created = services.checkpoints_schedule(now=NOW)
    rm = Checkpoint.objects.filter(rm=org.rm_a1)
    assert rm.filter(kind="weekly").count() == 8
    assert list(rm.filter(kind="weekly").values_list("period", flat=True)[:2]) == ["2026-W49", "2026-W50"]
    assert rm.filter(kind="monthly").get().period == "2026-12"
    assert rm.filter(kind="quarterly").get().period == "2027-Q1"
    assert rm.filter(kind="semiannual").get().period == "2027-H1"
    assert created == 4 * 11  # four RMs, 8 + 1 + 1 + 1 each
    first = rm.filter(kind="weekly").first()
    assert first.leader == org.leader_a1
    assert first.scheduled_at == dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.mark.django_db
def test_scheduling_again_creates_nothing_twice(org):
    services.checkpoints_schedule(now=NOW)
    before = Checkpoint.objects.count()
    assert services.checkpoints_schedule(now=NOW) == 0
    assert services.checkpoints_schedule(now=NOW + dt.timedelta(days=1)) == 0
    assert Checkpoint.objects.count() == before
    # a week later, one more weekly per RM appears at the end of the horizon
    assert services.checkpoints_schedule(now=NOW + dt.timedelta(days=7)) == 4


@pytest.mark.django_db(transaction=True)
def test_scheduling_twice_at_once_creates_nothing_twice(org):
    results, errors = [], []

    def run():
        try:
            results.append(services.checkpoints_schedule(now=NOW))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Checkpoint.objects.count() == 44
    assert Checkpoint.objects.values("rm", "kind", "period").distinct().count() == 44


@pytest.mark.django_db
def test_an_rm_cadence_overrides_the_team_cadence(org):
    Cadence.objects.create(team=org.team_a1, weekday=2)
    Cadence.objects.create(rm=org.rm_a1, weekday=4, monthly=False, quarterly=False, semiannual=False)
    services.checkpoints_schedule(now=NOW)
    assert Checkpoint.objects.filter(rm=org.rm_a1).first().scheduled_at.date().weekday() == 4
    assert not Checkpoint.objects.filter(rm=org.rm_a1, kind="monthly").exists()
    assert Checkpoint.objects.filter(rm=org.rm_a1_peer).first().scheduled_at.date().weekday() == 2


@pytest.mark.django_db
def test_opening_takes_the_snapshot_since_the_previous_meeting_and_proposes_off_track_problems(org):
    conversations = MetricFactory(code="conv-cp", source=MetricSource.CONVERSATIONS)
    TargetFactory(user=org.rm_a1, metric=conversations, value=D("730"))  # 2 a day, even over 2026 (365 days)
    previous = _checkpoint(org, at=dt.datetime(2026, 11, 16, 9, tzinfo=UTC), period="2026-W47")
    previous.status, previous.held_at = CheckpointStatus.HELD, dt.datetime(2026, 11, 16, 10, tzinfo=UTC)
    previous.save()
    ActivityFactory.create_batch(3, owner=org.rm_a1, date=dt.date(2026, 11, 18))
    ActivityFactory.create_batch(5, owner=org.rm_a1, date=dt.date(2026, 11, 16))  # before the period
    cp = _checkpoint(org, at=dt.datetime(2026, 11, 23, 9, tzinfo=UTC), period="2026-W48")
    cp = services.checkpoint_open(checkpoint=cp, by=org.leader_a1, now=NOW)
    assert (cp.snapshot_from, cp.snapshot_to) == (dt.date(2026, 11, 17), dt.date(2026, 11, 23))
    [row] = cp.snapshot["rows"]
    # November's plan is 730 / 12 = 60.83; 7 of its 30 days: 60.83 × 7 / 30 = 14.19 planned, 3 held
    assert (D(row["plan"]), D(row["actual"]), row["status"]) == (D("14.19"), D("3.00"), "off_track")
    [problem] = cp.problems.all()
    assert problem.proposed and problem.metric == conversations and "off track" in problem.description
    assert (
        services.checkpoint_open(checkpoint=cp, by=org.leader_a1, now=NOW).problems.count() == 1
    )  # again: no dup


@pytest.mark.django_db
def test_only_the_leader_opens_and_closes(org):
    cp = _checkpoint(org)
    with pytest.raises(PermissionDenied):
        services.checkpoint_open(checkpoint=cp, by=org.rm_a1, now=NOW)
    with pytest.raises(PermissionDenied):
        services.checkpoint_open(checkpoint=cp, by=org.leader_a2, now=NOW)


@pytest.mark.django_db
def test_undone_action_items_carry_to_the_next_meeting(org):
    first = _checkpoint(org, at=NOW - dt.timedelta(days=7), period="w1")
    services.checkpoint_open(checkpoint=first, by=org.leader_a1, now=NOW - dt.timedelta(days=7))
    done = services.action_item_add(
        checkpoint=first,
        by=org.leader_a1,
        description="Call Dupont",
        owner=org.rm_a1,
        due=dt.date(2026, 11, 20),
    )
    services.action_item_add(
        checkpoint=first,
        by=org.leader_a1,
        description="Send the proposal",
        owner=org.rm_a1,
        due=dt.date(2026, 11, 27),
    )
    services.checkpoint_close(checkpoint=first, by=org.leader_a1, now=NOW - dt.timedelta(days=7))
    second = _checkpoint(org, period="w2")
    services.action_item_done(item=done, checkpoint=second, by=org.rm_a1, now=NOW)
    assert [a.description for a in open_action_items(rm=org.rm_a1)] == ["Send the proposal"]
    assert ActionItem.objects.get(pk=done.pk).done_in == second


@pytest.mark.django_db
def test_closing_freezes_the_meeting_and_records_late(org):
    cp = _checkpoint(org, at=NOW - dt.timedelta(days=5))
    services.checkpoint_open(checkpoint=cp, by=org.leader_a1, now=NOW)
    cp = services.checkpoint_notes_save(
        checkpoint=cp, by=org.leader_a1, base_version=0, leader_notes="Good week"
    )
    with pytest.raises(services.NotesConflict):
        services.checkpoint_notes_save(checkpoint=cp, by=org.leader_a1, base_version=0, leader_notes="Other")
    with pytest.raises(PermissionDenied):
        services.checkpoint_notes_save(checkpoint=cp, by=org.rm_a1, base_version=1, leader_notes="Mine now")
    cp = services.checkpoint_close(checkpoint=cp, by=org.leader_a1, now=NOW)
    assert cp.status == CheckpointStatus.HELD and cp.held_late  # 5 days after, tolerance 2
    with pytest.raises(ValidationError, match="frozen"):
        services.checkpoint_notes_save(
            checkpoint=cp, by=org.leader_a1, base_version=cp.version, leader_notes="x"
        )
    assert list(cp.events.values_list("action", flat=True)) == ["opened", "held_late"]


@pytest.mark.django_db
def test_reschedule_cancel_and_skip_are_recorded_with_reasons(org):
    cp = _checkpoint(org)
    with pytest.raises(ValidationError, match="Say why the meeting moves"):
        services.checkpoint_reschedule(checkpoint=cp, at=NOW + dt.timedelta(days=8), by=org.rm_a1, reason="")
    services.checkpoint_reschedule(
        checkpoint=cp, at=NOW + dt.timedelta(days=8), by=org.rm_a1, reason="Client visit"
    )
    other = _checkpoint(org, period="x2")
    services.checkpoint_cancel(checkpoint=other, by=org.leader_a1, reason="Public holiday")
    third = _checkpoint(org, period="x3")
    services.checkpoint_skip(checkpoint=third, by=org.leader_a1, reason="RM on sick leave")
    assert "Client visit" in cp.events.get(action="rescheduled").note
    assert cp.originally_at != Checkpoint.objects.get(pk=cp.pk).scheduled_at
    assert Checkpoint.objects.get(pk=other.pk).status == "cancelled"
    assert third.events.get(action="skipped").note == "RM on sick leave"


@pytest.mark.django_db
def test_semiannual_review_is_acknowledged_then_signed_off_and_locked(org):
    from coaching.models import SemiannualReview

    cp = _checkpoint(org, kind=CheckpointKind.SEMIANNUAL)
    review = SemiannualReview.objects.create(checkpoint=cp)
    with pytest.raises(ValidationError, match="not acknowledged"):
        services.review_sign_off(review=review, by=org.leader_a1, now=NOW)
    review = services.review_save(
        review=review,
        by=org.leader_a1,
        base_version=0,
        results_rating=4,
        standards_rating=3,
        skills_rating=3,
        development_rating=4,
        overall_comment="Solid",
    )
    review = services.review_acknowledge(review=review, by=org.rm_a1, comment="Agreed", now=NOW)
    review = services.review_sign_off(review=review, by=org.leader_a1, now=NOW)
    assert review.is_locked
    with pytest.raises(ValidationError, match="signed off and locked"):
        services.review_save(
            review=review, by=org.leader_a1, base_version=review.version, overall_comment="Edit"
        )


@pytest.mark.django_db
def test_reminders_due_and_sent_exactly_once(org, mailoutbox):
    soon = _checkpoint(org, at=NOW + dt.timedelta(hours=20))  # within the 24 h reminder
    later = _checkpoint(org, at=NOW + dt.timedelta(hours=40), period="later")  # only the preparation reminder
    overdue = _checkpoint(org, at=NOW - dt.timedelta(days=4), period="overdue")
    due = {(d.checkpoint_id, d.kind, d.recipient_id) for d in reminders_due(now=NOW)}
    assert (soon.pk, ReminderKind.MEETING, org.rm_a1.pk) in due
    assert (soon.pk, ReminderKind.MEETING, org.leader_a1.pk) in due
    assert (later.pk, ReminderKind.PREPARATION, org.rm_a1.pk) in due
    assert (later.pk, ReminderKind.MEETING, org.rm_a1.pk) not in due
    assert (overdue.pk, ReminderKind.OVERDUE, org.leader_a1.pk) in due
    for reminder in reminders_due(now=NOW):
        services.reminder_send(
            checkpoint_id=reminder.checkpoint_id,
            kind=reminder.kind,
            recipient_id=reminder.recipient_id,
            now=NOW,
        )
    sent = len(mailoutbox)
    for reminder in due:  # delivered a second time: nothing more
        assert not services.reminder_send(
            checkpoint_id=reminder[0], kind=reminder[1], recipient_id=reminder[2], now=NOW
        )
    assert len(mailoutbox) == sent == ReminderSent.objects.count() == len(due)
    assert reminders_due(now=NOW) == []
    # the RM: the meeting reminder and the preparation reminder of the meeting in 20 hours, and the
    # preparation reminder of the one in 40 hours
    assert Notification.objects.filter(user=org.rm_a1).count() == 3


@pytest.mark.django_db
def test_repeated_skips_escalate_to_the_director_once(org):
    for n in range(2):
        cp = _checkpoint(org, at=NOW - dt.timedelta(days=10 + 7 * n), period=f"s{n}")
        services.checkpoint_skip(checkpoint=cp, by=org.leader_a1, reason="Busy")
    escalations = [d for d in reminders_due(now=NOW) if d.kind == ReminderKind.ESCALATION]
    assert [(d.recipient_id) for d in escalations] == [org.director_a.pk]


@pytest.mark.django_db(transaction=True)
def test_the_same_reminder_delivered_twice_at_once_is_sent_once(org, mailoutbox):
    cp = _checkpoint(org, at=NOW + dt.timedelta(hours=2))
    results = []

    def deliver():
        try:
            results.append(
                services.reminder_send(
                    checkpoint_id=cp.pk, kind="meeting", recipient_id=org.rm_a1.pk, now=NOW
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert len(mailoutbox) == 1 and ReminderSent.objects.count() == 1


@pytest.mark.django_db
def test_cadence_health_counts_on_time_late_skipped_and_stale(org):
    held = _checkpoint(org, at=NOW - dt.timedelta(days=40), period="h1")
    services.checkpoint_open(checkpoint=held, by=org.leader_a1, now=NOW - dt.timedelta(days=40))
    services.checkpoint_close(checkpoint=held, by=org.leader_a1, now=NOW - dt.timedelta(days=40))
    late = _checkpoint(org, at=NOW - dt.timedelta(days=35), period="h2")
    services.checkpoint_hold_late(checkpoint=late, by=org.leader_a1, held_on=NOW - dt.timedelta(days=32))
    services.checkpoint_skip(
        checkpoint=_checkpoint(org, at=NOW - dt.timedelta(days=20), period="h3"),
        by=org.leader_a1,
        reason="Holiday",
    )
    _checkpoint(org, at=NOW - dt.timedelta(days=10), period="h4")  # never held: overdue
    rows = {h.label: h for h in cadence_health(viewer=org.leader_a1, by="rm", now=NOW)}
    mine = rows["RM A1"]
    assert (mine.on_time, mine.late, mine.skipped, mine.overdue) == (1, 1, 1, 1)
    assert mine.on_time_share == D("0.25") and mine.days_since_last == 32 and mine.stale
    assert rows["RM A1 peer"].past == 0 and rows["RM A1 peer"].stale  # never held anything
    assert "RM A2" not in rows
    [leader] = cadence_health(viewer=org.leader_a1, by="leader", now=NOW)
    assert leader.past == 4
