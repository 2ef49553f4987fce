"""Who changed what and when, for any model with django-simple-history's `history = HistoricalRecords()`.

`object_history(obj)` reads the object's last changes newest first, each diffed against the one before, in
one query (one record more than shown is read, so the oldest shown one has its predecessor without a query
per row; the same approach as targeting.selectors.account_history). The page shows them with
templates/partials/_history.html.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Model


@dataclass(frozen=True)
class HistoryRecord:
    date: datetime  # aware
    user: object | None  # accounts.User, or None when no user was known (a task, a command)
    kind: str  # "+" created, "~" changed, "-" deleted
    reason: str
    changed: tuple[str, ...]  # verbose names of the fields that changed


def object_history(obj: Model, *, limit: int = 20) -> list[HistoryRecord]:
    """The object's last `limit` changes, newest first: who, when, why and which fields (one query)."""
    model = type(obj)
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    entries = []
    for record, older in zip(records[:limit], [*records[1:], None], strict=False):
        changed: tuple[str, ...] = ()
        if older is not None:
            delta = record.diff_against(older)
            changed = tuple(str(model._meta.get_field(name).verbose_name) for name in delta.changed_fields)
        entries.append(
            HistoryRecord(
                date=record.history_date,
                user=record.history_user,
                kind=record.history_type,
                reason=record.history_change_reason or "",
                changed=changed,
            )
        )
    return entries
