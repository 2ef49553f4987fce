"""Writes of checkpoints: scheduling (idempotent), rescheduling, cancelling, skipping, running and closing a
meeting, the semiannual review, reminders sent exactly once, and in-app notifications."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import user_can_change

from .. import calculations
from ..models import (
    ActionItem,
    Cadence,
    CalendarFeed,
    Checkpoint,
    CheckpointEvent,
    CheckpointKind,
    CheckpointStatus,
    Decision,
    Notification,
    Problem,
    ReminderKind,
    ReminderSent,
    SemiannualReview,
    Surprise,
)

DEFAULT_CADENCE = Cadence()


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def can_run(*, user: User, checkpoint: Checkpoint) -> bool:
    """The leader runs the meeting (a director or admin above the RM may too)."""
    return (
        user.pk != checkpoint.rm_id
        and user.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN)
        and user_can_change(viewer=user, target=checkpoint.rm)
    )


def can_take_part(*, user: User, checkpoint: Checkpoint) -> bool:
    return user.pk == checkpoint.rm_id or can_run(user=user, checkpoint=checkpoint)


def _record(checkpoint: Checkpoint, action: str, by: User | None, note: str = "") -> None:
    CheckpointEvent.objects.create(checkpoint=checkpoint, action=action, by=by, note=note)


# --- Scheduling ---------------------------------------------------------------------------------------------


def cadence_for(rm: User, team_cadences: dict, rm_cadences: dict) -> Cadence:
    """The RM's own cadence, else their team's, else the default (Monday 09:00 weekly, and the rest)."""
    return rm_cadences.get(rm.pk) or team_cadences.get(rm.team_id) or DEFAULT_CADENCE


def checkpoints_schedule(*, now: datetime.datetime, weeks: int = 8) -> int:
    """Make sure every RM with a leader has their checkpoints for the coming `weeks` weeks and their next
    monthly, quarterly and semiannual ones. Creates only what is missing: the (RM, kind, period) unique
    constraint makes a second run, or two at once, create nothing twice. Returns how many were created."""
    rms = list(
        User.objects.with_role(Role.RM)
        .filter(is_active=True, team__leader__isnull=False)
        .select_related("team__leader")
    )
    team_cadences = {c.team_id: c for c in Cadence.objects.filter(team__isnull=False)}
    rm_cadences = {c.rm_id: c for c in Cadence.objects.filter(rm__isnull=False)}
    rows = []
    for rm in rms:
        leader = rm.team.leader
        cadence = cadence_for(rm, team_cadences, rm_cadences)
        tz = zoneinfo.ZoneInfo(leader.time_zone or settings.TIME_ZONE)
        today = now.astimezone(tz).date()
        for kind, enabled in (
            (CheckpointKind.WEEKLY, cadence.weekly),
            (CheckpointKind.MONTHLY, cadence.monthly),
            (CheckpointKind.QUARTERLY, cadence.quarterly),
            (CheckpointKind.SEMIANNUAL, cadence.semiannual),
        ):
            if not enabled:
                continue
            for day in calculations.meeting_days(
                kind=kind, today=today, weekday=cadence.weekday, monthly_day=cadence.monthly_day, weeks=weeks
            ):
                at = datetime.datetime.combine(day, _time(cadence.time), tzinfo=tz)
                if at < now:
                    continue
                rows.append(
                    Checkpoint(
                        rm=rm,
                        leader=leader,
                        kind=kind,
                        period=calculations.period_key(kind, day),
                        scheduled_at=at,
                        originally_at=at,
                        duration_minutes=cadence.duration_minutes,
                    )
                )
    before = Checkpoint.objects.count()
    Checkpoint.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return Checkpoint.objects.count() - before


def _time(value) -> datetime.time:
    if isinstance(value, str):
        return datetime.time.fromisoformat(value)
    return value


def checkpoint_reschedule(
    *, checkpoint: Checkpoint, at: datetime.datetime, by: User, reason: str
) -> Checkpoint:
    """Move a meeting; the move and its reason are recorded."""
    _require(can_take_part(user=by, checkpoint=checkpoint), _("You do not take part in this meeting."))
    if checkpoint.is_closed:
        raise ValidationError(_("This meeting is closed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the meeting moves.")})
    previous = checkpoint.scheduled_at
    with transaction.atomic():
        checkpoint.scheduled_at = at
        checkpoint._history_user = by  # read by simple-history
        checkpoint.save(update_fields=["scheduled_at"])
        ReminderSent.objects.filter(checkpoint=checkpoint, kind=ReminderKind.MEETING).delete()  # remind again
        _record(checkpoint, "rescheduled", by, f"{previous.isoformat()} → {at.isoformat()}: {reason.strip()}")
    return checkpoint


def checkpoint_cancel(*, checkpoint: Checkpoint, by: User, reason: str) -> Checkpoint:
    """Cancel a meeting with a reason (a cancelled meeting is not a skipped one: nobody avoided it)."""
    return _close_without_meeting(checkpoint, by, reason, CheckpointStatus.CANCELLED, "cancelled")


def checkpoint_skip(*, checkpoint: Checkpoint, by: User, reason: str) -> Checkpoint:
    """Record that a meeting did not take place; skips show in cadence health and escalate when repeated."""
    return _close_without_meeting(checkpoint, by, reason, CheckpointStatus.SKIPPED, "skipped")


def _close_without_meeting(checkpoint, by, reason, status, action) -> Checkpoint:
    _require(can_run(user=by, checkpoint=checkpoint), _("Only the leader can do this."))
    if checkpoint.is_closed:
        raise ValidationError(_("This meeting is closed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    with transaction.atomic():
        checkpoint.status = status
        checkpoint.reason = reason.strip()
        checkpoint._history_user = by  # read by simple-history
        checkpoint.save(update_fields=["status", "reason"])
        _record(checkpoint, action, by, reason.strip())
    return checkpoint


# --- Running the meeting ---------------------------------------------------------------------------------


def checkpoint_open(*, checkpoint: Checkpoint, by: User, now: datetime.datetime) -> Checkpoint:
    """The leader opens the meeting: the plan-versus-actual snapshot for the period since the previous
    checkpoint of the kind is taken, and its off-track metrics are proposed as problems."""
    from ..selectors.checkpoints import checkpoint_snapshot

    _require(can_run(user=by, checkpoint=checkpoint), _("Only the leader opens the meeting."))
    if checkpoint.status == CheckpointStatus.OPEN:
        return checkpoint
    if checkpoint.status != CheckpointStatus.SCHEDULED:
        raise ValidationError(_("This meeting is closed."))
    snapshot = checkpoint_snapshot(checkpoint=checkpoint, today=timezone.localdate(now))
    with transaction.atomic():
        checkpoint.status = CheckpointStatus.OPEN
        checkpoint.opened_at = now
        checkpoint.snapshot = snapshot.as_json()
        checkpoint.snapshot_from, checkpoint.snapshot_to = snapshot.start, snapshot.end
        checkpoint._history_user = by  # read by simple-history
        checkpoint.save(update_fields=["status", "opened_at", "snapshot", "snapshot_from", "snapshot_to"])
        for row in snapshot.off_track:
            Problem.objects.get_or_create(
                checkpoint=checkpoint,
                metric_id=row["metric_id"],
                proposed=True,
                defaults={"description": row["problem"], "confirmed": True},
            )
        _record(checkpoint, "opened", by)
    return checkpoint


@dataclass
class NotesConflict(Exception):
    theirs: dict
    yours: dict

    def __str__(self) -> str:
        return _(
            "The notes were saved by the other person while you typed. Nothing of yours was lost: "
            "compare both versions and save again."
        )


NOTE_FIELDS = ("leader_notes", "rm_notes", "prep_notes")


def checkpoint_notes_save(*, checkpoint: Checkpoint, by: User, base_version: int, **notes) -> Checkpoint:
    """Save notes (the RM's preparation and own notes, the leader's notes, notes per agenda item), refusing
    a save made from an older version. Each side writes only its own notes."""
    _require(can_take_part(user=by, checkpoint=checkpoint), _("You do not take part in this meeting."))
    if checkpoint.is_closed:
        raise ValidationError(_("This meeting is closed: its notes are frozen."))
    is_rm = by.pk == checkpoint.rm_id
    allowed = {"prep_notes", "rm_notes"} if is_rm else {"leader_notes", "agenda_notes"}
    unknown = set(notes) - allowed
    _require(not unknown, _("You cannot write the other person's notes."))
    with transaction.atomic():
        current = Checkpoint.objects.select_for_update().get(pk=checkpoint.pk)
        if current.version != base_version:
            raise NotesConflict({k: getattr(current, k) for k in notes}, notes)
        for name, value in notes.items():
            setattr(current, name, value)
        current.version += 1
        current._history_user = by  # read by simple-history
        current.save(update_fields=[*notes, "version"])
    return current


def problem_add(*, checkpoint: Checkpoint, by: User, description: str) -> Problem:
    _require(
        can_run(user=by, checkpoint=checkpoint) and not checkpoint.is_closed,
        _("You cannot change this meeting."),
    )
    return Problem.objects.create(checkpoint=checkpoint, description=description.strip())


def decision_add(*, checkpoint: Checkpoint, by: User, text: str) -> Decision:
    _require(
        can_run(user=by, checkpoint=checkpoint) and not checkpoint.is_closed,
        _("You cannot change this meeting."),
    )
    return Decision.objects.create(checkpoint=checkpoint, text=text.strip())


def surprise_add(*, checkpoint: Checkpoint, by: User, description: str, response: str) -> Surprise:
    _require(
        can_take_part(user=by, checkpoint=checkpoint) and not checkpoint.is_closed,
        _("You cannot change this meeting."),
    )
    return Surprise.objects.create(
        checkpoint=checkpoint, description=description.strip(), response=response.strip()
    )


def action_item_add(
    *, checkpoint: Checkpoint, by: User, description: str, owner: User, due: datetime.date
) -> ActionItem:
    _require(
        can_run(user=by, checkpoint=checkpoint) and not checkpoint.is_closed,
        _("You cannot change this meeting."),
    )
    if owner.pk not in (checkpoint.rm_id, checkpoint.leader_id, by.pk):
        raise ValidationError({"owner": _("An action belongs to the RM or the leader.")})
    return ActionItem.objects.create(
        checkpoint=checkpoint, rm=checkpoint.rm, description=description.strip(), owner=owner, due_date=due
    )


def action_item_done(
    *, item: ActionItem, checkpoint: Checkpoint, by: User, now: datetime.datetime
) -> ActionItem:
    """Mark an open action item (of this or an earlier meeting of the same RM) done in this meeting."""
    _require(
        can_take_part(user=by, checkpoint=checkpoint) and item.rm_id == checkpoint.rm_id,
        _("Not your action."),
    )
    if item.done_at is None:
        item.done_at, item.done_in = now, checkpoint
        item.save(update_fields=["done_at", "done_in"])
    return item


def checkpoint_close(*, checkpoint: Checkpoint, by: User, now: datetime.datetime) -> Checkpoint:
    """Close the meeting: it counts as held (late when past the cadence's tolerance), its snapshot and notes
    are frozen, and open action items carry to the next meeting."""
    _require(can_run(user=by, checkpoint=checkpoint), _("Only the leader closes the meeting."))
    if checkpoint.status != CheckpointStatus.OPEN:
        raise ValidationError(_("Open the meeting before closing it."))
    team_cadence = Cadence.objects.filter(team=checkpoint.rm.team_id).first()
    cadence = Cadence.objects.filter(rm=checkpoint.rm).first() or team_cadence or DEFAULT_CADENCE
    late_after = checkpoint.scheduled_at + datetime.timedelta(days=cadence.late_tolerance_days)
    with transaction.atomic():
        checkpoint.status = CheckpointStatus.HELD
        checkpoint.held_at = now
        checkpoint.held_late = now > late_after
        checkpoint._history_user = by  # read by simple-history
        checkpoint.save(update_fields=["status", "held_at", "held_late"])
        _record(checkpoint, "held_late" if checkpoint.held_late else "held", by)
    return checkpoint


def checkpoint_hold_late(*, checkpoint: Checkpoint, by: User, held_on: datetime.datetime) -> Checkpoint:
    """Record afterwards that a meeting took place (late or not) though it was not run in the app."""
    _require(can_run(user=by, checkpoint=checkpoint), _("Only the leader can do this."))
    if checkpoint.is_closed:
        raise ValidationError(_("This meeting is closed."))
    checkpoint.status = CheckpointStatus.OPEN
    return checkpoint_close(checkpoint=checkpoint, by=by, now=held_on)


def review_save(*, review: SemiannualReview, by: User, base_version: int, **fields) -> SemiannualReview:
    """The leader writes the semiannual review; refused once signed off, or from an older version."""
    checkpoint = review.checkpoint
    _require(can_run(user=by, checkpoint=checkpoint), _("Only the leader writes the review."))
    with transaction.atomic():
        current = SemiannualReview.objects.select_for_update().get(pk=review.pk)
        if current.is_locked:
            raise ValidationError(_("This review is signed off and locked."))
        if current.version != base_version:
            raise NotesConflict({k: getattr(current, k) for k in fields}, fields)
        for name, value in fields.items():
            setattr(current, name, value)
        current.version += 1
        current.full_clean()
        current._history_user = by  # read by simple-history
        current.save()
    return current


def review_acknowledge(
    *, review: SemiannualReview, by: User, comment: str, now: datetime.datetime
) -> SemiannualReview:
    """The RM acknowledges the review (with an optional comment of their own)."""
    _require(by.pk == review.checkpoint.rm_id, _("Only the RM acknowledges their review."))
    if review.is_locked:
        raise ValidationError(_("This review is signed off and locked."))
    review.acknowledged_at, review.rm_comment = now, comment.strip()
    review._history_user = by  # read by simple-history
    review.save(update_fields=["acknowledged_at", "rm_comment"])
    return review


def review_sign_off(*, review: SemiannualReview, by: User, now: datetime.datetime) -> SemiannualReview:
    """The leader signs off an acknowledged review; it is locked from then on."""
    _require(can_run(user=by, checkpoint=review.checkpoint), _("Only the leader signs off the review."))
    if review.acknowledged_at is None:
        raise ValidationError(_("The RM has not acknowledged the review yet."))
    if any(
        r is None
        for r in (
            review.results_rating,
            review.standards_rating,
            review.skills_rating,
            review.development_rating,
        )
    ):
        raise ValidationError(_("Rate all four parts before signing off."))
    review.signed_off_at = now
    review._history_user = by  # read by simple-history
    review.save(update_fields=["signed_off_at"])
    return review


# --- Reminders and notifications -------------------------------------------------------------------------


def notify(*, user: User, key: str, title: str, body: str = "", url: str = "") -> bool:
    """Add an in-app notification once per (user, key); returns whether it is new."""
    try:
        with transaction.atomic():
            Notification.objects.create(user=user, key=key, title=title, body=body, url=url)
    except IntegrityError:
        return False
    return True


def reminder_send(*, checkpoint_id: int, kind: str, recipient_id: int, now: datetime.datetime) -> bool:
    """Send one reminder, exactly once per (checkpoint, kind, recipient).

    The sending is recorded in the same transaction as the e-mail goes out, under a unique constraint: a
    second delivery of the same task waits for the first, then finds the record and sends nothing; a worker
    killed before the commit leaves no record, so the redelivered task sends it then.
    """
    with transaction.atomic():
        checkpoint = Checkpoint.objects.select_related("rm", "leader").filter(pk=checkpoint_id).first()
        recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
        if checkpoint is None or recipient is None:
            return False
        _sent, created = ReminderSent.objects.get_or_create(
            checkpoint=checkpoint, kind=kind, recipient=recipient, defaults={"sent_at": now}
        )
        if not created:
            return False
        with (
            translation.override(recipient.language),
            timezone.override(zoneinfo.ZoneInfo(recipient.time_zone)),
        ):
            context = {
                "checkpoint": checkpoint,
                "recipient": recipient,
                "kind": kind,
                "site_url": settings.SITE_URL,
            }
            subject = render_to_string("coaching/email/reminder_subject.txt", context).strip()
            body = render_to_string("coaching/email/reminder_body.txt", context)
            Notification.objects.get_or_create(
                user=recipient,
                key=f"reminder:{kind}:{checkpoint.pk}",
                defaults={
                    "title": subject,
                    "body": body.strip()[:1000],
                    "url": checkpoint.get_absolute_url(),
                },
            )
        send_mail(subject, body, None, [recipient.email])
    return True


def calendar_token_reset(*, user: User) -> CalendarFeed:
    """A new secret calendar feed address; the old one stops working."""
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if not created:
        feed.token = CalendarFeed._meta.get_field("token").default()
        feed.save(update_fields=["token", "created_at"])
    return feed


# --- The meeting page (appended for the checkpoint pages) -----------------------------------------------

AGENDA_PREFIX = "agenda:"
MAX_MERGE_ATTEMPTS = 3


def _note_value(checkpoint: Checkpoint, field: str) -> str:
    if field.startswith(AGENDA_PREFIX):
        return (checkpoint.agenda_notes or {}).get(field.removeprefix(AGENDA_PREFIX), "")
    return getattr(checkpoint, field)


def checkpoint_note_save(
    *, checkpoint: Checkpoint, by: User, field: str, text: str, base_text: str, base_version: int
) -> Checkpoint:
    """Save one note box of the meeting page ("leader_notes", "rm_notes", "prep_notes" or "agenda:<item>").

    The version guards the whole meeting's notes; a save made from an older version goes through only when
    this box still holds the text the writer started from (the other person wrote in another box meanwhile).
    When this very box changed meanwhile, NotesConflict({field: theirs}, {field: yours}): nothing is lost."""
    if field.startswith(AGENDA_PREFIX):
        key = field.removeprefix(AGENDA_PREFIX)
        if key not in dict(checkpoint.agenda):
            raise ValidationError(_("This agenda has no such item."))
    elif field not in NOTE_FIELDS:
        raise ValidationError(_("There is no such note."))
    current = checkpoint
    for _attempt in range(MAX_MERGE_ATTEMPTS):
        if field.startswith(AGENDA_PREFIX):
            notes = {"agenda_notes": {**(current.agenda_notes or {}), key: text}}
        else:
            notes = {field: text}
        try:
            return checkpoint_notes_save(checkpoint=current, by=by, base_version=base_version, **notes)
        except NotesConflict:
            current = Checkpoint.objects.get(pk=checkpoint.pk)
            theirs = _note_value(current, field)
            if theirs != base_text and theirs != text:
                raise NotesConflict({field: theirs}, {field: text}) from None
            base_version = current.version
    raise NotesConflict({field: _note_value(current, field)}, {field: text})


def problem_confirm(*, problem: Problem, by: User, confirmed: bool) -> Problem:
    """Confirm a problem (a proposed one stays marked as coming from the numbers) or dismiss it."""
    checkpoint = problem.checkpoint
    _require(can_run(user=by, checkpoint=checkpoint), _("Only the leader decides which problems count."))
    if checkpoint.is_closed:
        raise ValidationError(_("This meeting is closed."))
    problem.confirmed = confirmed
    problem.save(update_fields=["confirmed"])
    return problem


def checkpoint_plan_reset(*, checkpoint: Checkpoint, plan, by: User, reason: str) -> Decision:
    """Reset the RM's approved plan from the meeting: a new plan revision with the reason, and the decision
    "Plan reset: <reason>" in the meeting's record, both or neither."""
    from .plans import plan_reset

    _require(can_run(user=by, checkpoint=checkpoint), _("Only the leader resets the plan."))
    if checkpoint.is_closed:
        raise ValidationError(_("This meeting is closed."))
    if plan.owner_id != checkpoint.rm_id:
        raise ValidationError(_("This is not the RM's plan."))
    with transaction.atomic():
        plan_reset(plan=plan, by=by, reason=reason)
        return decision_add(
            checkpoint=checkpoint, by=by, text=_("Plan reset: %(reason)s") % {"reason": reason.strip()}
        )


def review_start(*, checkpoint: Checkpoint) -> SemiannualReview | None:
    """The semiannual review of a semiannual checkpoint, created empty the first time (None for other kinds)."""
    if checkpoint.kind != CheckpointKind.SEMIANNUAL:
        return None
    review, _created = SemiannualReview.objects.get_or_create(checkpoint=checkpoint)
    return review


def calendar_feed_for(*, user: User) -> CalendarFeed:
    """The person's private calendar feed, created with a secret address on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def notification_read(*, notification: Notification, by: User, now: datetime.datetime) -> Notification:
    _require(notification.user_id == by.pk, _("Not your notification."))
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user: User, now: datetime.datetime) -> int:
    """Mark every unread notification of the person read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now)


def can_set_cadence(*, user: User, team=None, rm: User | None = None) -> bool:
    """Leaders set their teams' cadence and their RMs' own; directors in their region; admins anywhere."""
    from accounts.selectors import teams_visible_to

    if user.role not in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
        return False
    if team is not None:
        return teams_visible_to(viewer=user).filter(pk=team.pk).exists()
    return rm is not None and rm.pk != user.pk and user_can_change(viewer=user, target=rm)


def cadence_save(*, cadence: Cadence, by: User) -> Cadence:
    """Save a team's default cadence or one RM's own; meetings already scheduled keep their date."""
    _require(can_set_cadence(user=by, team=cadence.team, rm=cadence.rm), _("You cannot set this cadence."))
    cadence.full_clean()
    cadence.save()
    return cadence


def cadence_remove(*, rm: User, by: User) -> bool:
    """Remove an RM's own cadence: they follow their team's again. Returns whether there was one."""
    _require(can_set_cadence(user=by, rm=rm), _("You cannot set this cadence."))
    deleted, _detail = Cadence.objects.filter(rm=rm).delete()
    return bool(deleted)
