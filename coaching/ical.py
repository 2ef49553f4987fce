"""Checkpoints as iCalendar (RFC 5545): one meeting as a downloadable invite, or a person's feed.

Times are written with their time zone (a VTIMEZONE is added for each one used), so a calendar app shows
the meeting at the same instant wherever its owner is. The UID is stable per checkpoint: importing the
invite again, or the feed refreshing after a reschedule, updates the event instead of adding a second one.
"""

import datetime
import zoneinfo
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.utils.translation import gettext as _

from .models import Checkpoint, CheckpointStatus

PRODID = "-//SalesPlan//Checkpoints//EN"


def uid(checkpoint: Checkpoint) -> str:
    return f"checkpoint-{checkpoint.pk}@salesplan"


def summary(checkpoint: Checkpoint) -> str:
    return _("%(kind)s checkpoint: %(rm)s / %(leader)s") % {
        "kind": checkpoint.get_kind_display(),
        "rm": checkpoint.rm,
        "leader": checkpoint.leader,
    }


def description(checkpoint: Checkpoint) -> str:
    lines = [_("Agenda:")]
    lines += [f"- {label}" for _key, label in checkpoint.agenda]
    lines += ["", f"{settings.SITE_URL.rstrip('/')}{checkpoint.get_absolute_url()}"]
    return "\n".join(lines)


def _address(user, role: str | None = None) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = str(user)
    if role:
        address.params["role"] = role
    return address


def event(checkpoint: Checkpoint, *, tz: zoneinfo.ZoneInfo, stamp: datetime.datetime) -> icalendar.Event:
    """One VEVENT for the checkpoint, its times in the time zone `tz`."""
    start = checkpoint.scheduled_at.astimezone(tz)
    item = icalendar.Event()
    item.add("uid", uid(checkpoint))
    item.add("dtstamp", stamp)
    item.add("dtstart", start)
    item.add("dtend", start + datetime.timedelta(minutes=checkpoint.duration_minutes))
    item.add("summary", summary(checkpoint))
    item.add("description", description(checkpoint))
    item.add("url", f"{settings.SITE_URL.rstrip('/')}{checkpoint.get_absolute_url()}")
    item.add("organizer", _address(checkpoint.leader))
    item.add("attendee", _address(checkpoint.rm, "REQ-PARTICIPANT"))
    moves = getattr(checkpoint, "moves", None)
    if moves is not None:
        item.add("sequence", moves)  # each reschedule is a new version of the event
    item.add("status", "CANCELLED" if checkpoint.status == CheckpointStatus.CANCELLED else "CONFIRMED")
    return item


def calendar(
    checkpoints: Iterable[Checkpoint], *, tz: zoneinfo.ZoneInfo, stamp: datetime.datetime, name: str = ""
) -> bytes:
    """A VCALENDAR holding one VEVENT per checkpoint."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    for checkpoint in checkpoints:
        cal.add_component(event(checkpoint, tz=tz, stamp=stamp))
    cal.add_missing_timezones()
    return cal.to_ical()
