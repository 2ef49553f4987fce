"""Writing rows from plain tuples (`salesplan.bulk`): COPY on PostgreSQL, INSERT … VALUES elsewhere, with the
same rows stored either way."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kpis.models import Activity, Opportunity
from salesplan import bulk
from tests.factories.targeting import AccountFactory

pytestmark = pytest.mark.django_db

TRICKY = [
    "plain",
    "a\ttab",
    "two\nlines",
    "carriage\rreturn",
    "back\\slash",
    "\\N",  # the text, not NULL
    "",  # empty, not NULL
    "Échange « accentué » 💶",
]


@pytest.fixture
def path(monkeypatch, request):
    copy = request.param
    if copy and connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    monkeypatch.setattr(bulk, "copy_available", lambda: copy)
    return copy


def _activity_rows(account, texts, when):
    return [
        (account.owner_id, "appointment", n % 2 == 0, account.pk, None, DAY + datetime.timedelta(days=n),
         text, text, f"X-{n}" if n % 3 else None, when)
        for n, text in enumerate(texts)
    ]  # fmt: skip


DAY = datetime.date(2026, 3, 1)
COLUMNS = ["owner_id", "kind", "is_first_appointment", "account_id", "contact_id", "date", "outcome", "notes",
           "external_id", "created_at"]  # fmt: skip


@pytest.mark.parametrize("path", [True, False], ids=["copy", "insert-values"], indirect=True)
def test_texts_nulls_booleans_dates_and_times_are_stored_as_given(path):
    account = AccountFactory()
    when = timezone.now()
    bulk.insert_rows(Activity, COLUMNS, _activity_rows(account, TRICKY, when))
    stored = list(
        Activity.objects.order_by("date").values_list(
            "notes", "outcome", "is_first_appointment", "date", "external_id", "contact_id", "created_at"
        )
    )
    assert stored == [
        (text, text, n % 2 == 0, DAY + datetime.timedelta(days=n), f"X-{n}" if n % 3 else None, None, when)
        for n, text in enumerate(TRICKY)
    ]


@pytest.mark.parametrize("path", [True, False], ids=["copy", "insert-values"], indirect=True)
def test_decimals_are_rounded_half_away_from_zero_and_json_text_is_stored_as_json(path):
    account = AccountFactory()
    now = timezone.now()
    values = [D("1.005"), D("-1.005"), D("2.004"), D("12345678.999"), None]
    rows = [
        (f"D-{n}", account.pk, account.owner_id, "prospecting", value, "", "EUR", "[1, 2.5]", now, now)
        for n, value in enumerate(values)
    ]
    columns = ["external_id", "account_id", "owner_id", "stage", "value", "name", "currency", "cash_flows",
               "created_at", "updated_at"]  # fmt: skip
    bulk.insert_rows(Opportunity, columns, rows)
    stored = dict(Opportunity.objects.values_list("external_id", "value"))
    assert [stored[f"D-{n}"] for n in range(len(values))] == [
        D("1.01"), D("-1.01"), D("2.00"), D("12345679.00"), None,
    ]  # fmt: skip
    assert Opportunity.objects.get(external_id="D-0").cash_flows == [1, 2.5]


@pytest.mark.parametrize("path", [True, False], ids=["copy", "insert-values"], indirect=True)
def test_rows_made_on_demand_are_read_once_and_all_stored(path):
    account = AccountFactory()
    made = []

    def rows():
        for row in _activity_rows(account, [f"row {n}" for n in range(1200)], timezone.now()):
            made.append(row)
            yield row

    bulk.insert_rows(Activity, COLUMNS, rows())
    assert len(made) == 1200
    assert Activity.objects.count() == 1200


@pytest.mark.parametrize("path", [True, False], ids=["copy", "insert-values"], indirect=True)
def test_a_refused_row_raises_djangos_integrity_error_and_leaves_nothing(path):
    account = AccountFactory()
    rows = _activity_rows(account, ["one", "two", "three", "four"], timezone.now())
    rows[3] = (*rows[3][:8], rows[1][8], rows[3][9])  # the fourth row repeats the second's external id
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(Activity, COLUMNS, rows)
    assert Activity.objects.count() == 0


def test_a_query_while_copy_reads_its_rows_is_refused_plainly():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    account = AccountFactory()

    def rows():
        yield from _activity_rows(account, ["fine"], timezone.now())
        Activity.objects.count()  # the connection is busy with the COPY: a mistake, named as such
        yield from _activity_rows(account, ["never"], timezone.now())

    with (
        pytest.raises(bulk.QueryDuringCopy, match="A query ran while COPY was reading its rows"),
        transaction.atomic(),
    ):
        bulk.insert_rows(Activity, COLUMNS, rows())
    assert Activity.objects.count() == 0


def test_an_empty_list_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk.insert_rows(Activity, COLUMNS, [])


@pytest.mark.parametrize("path", [True, False], ids=["copy", "insert-values"], indirect=True)
def test_reserved_ids_are_new_distinct_and_never_given_again(path, django_assert_num_queries):
    """Rows written with ids taken from the table's sequence keep them, and rows added later without an id
    get others: the sequence has moved past the reserved ones."""
    if connection.vendor != "postgresql":
        assert bulk.reserve_ids(Activity, 3) is None  # elsewhere the caller reads the ids back
        return
    account = AccountFactory()
    with django_assert_num_queries(1):
        ids = bulk.reserve_ids(Activity, 3)
    assert len(set(ids)) == 3
    assert bulk.reserve_ids(Activity, 0) == []
    rows = _activity_rows(account, ["one", "two", "three"], timezone.now())
    bulk.insert_rows(Activity, [*COLUMNS, "id"], [(*row, pk) for row, pk in zip(rows, ids, strict=True)])
    assert dict(Activity.objects.values_list("id", "notes")) == dict(
        zip(ids, ["one", "two", "three"], strict=True)
    )
    later = Activity.objects.create(owner=account.owner, account=account, kind="conversation", date=DAY)
    assert later.pk not in ids
