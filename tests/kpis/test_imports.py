"""CSV imports of the kpis app: activities, balances and the CRM pipeline (with its teams file), their
commands, and the import page that hands the work to Celery."""

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.models import Region, Role, Team, User
from kpis import importers
from kpis.importers import ActivityImport, BalanceImport, PipelineImport, pipeline_import
from kpis.models import (
    Activity,
    BalanceSnapshot,
    ImportJob,
    ImportKind,
    ImportStatus,
    Metric,
    Opportunity,
    Product,
    StageChange,
)
from salesplan import bulk
from salesplan.celery import app
from salesplan.csvimport import RowError, csv_import
from targeting.models import Account
from tests.factories.kpis import ActivityFactory, BalanceSnapshotFactory, ImportJobFactory, OpportunityFactory
from tests.factories.targeting import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

ACTIVITY_HEADER = "external_id,owner_email,kind,first_appointment,account,contact,date,outcome,notes"
BALANCE_HEADER = "account,metric,month_end,balance"
PIPELINE_HEADER = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"
TEAMS_HEADER = "sales_agent,manager,regional_office"


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()  # CRLF, as the CRM's files


def import_activities(by, *rows, **kwargs):
    return csv_import(file=csv_bytes(ACTIVITY_HEADER, *rows), spec=ActivityImport, by=by, **kwargs)


def import_balances(by, *rows, **kwargs):
    return csv_import(file=csv_bytes(BALANCE_HEADER, *rows), spec=BalanceImport, by=by, **kwargs)


@pytest.fixture
def acme(org):
    return AccountFactory(legal_name="Acme SAS", owner=org.rm_a1)


@pytest.fixture
def claire(acme):
    return ContactFactory(account=acme, name="Claire Dubois")


# --- Activities ---------------------------------------------------------------------------------------


def test_leader_imports_activities_of_their_rms_with_contact_and_first_appointment(org, leader, acme, claire):
    result = import_activities(
        leader,
        f"A-1,{org.rm_a1.email.upper()},Appointment,yes,acme sas,claire dubois,2026-03-10,Proposal asked,Budget in May",
        f",{org.rm_a1.email},conversation,,Acme SAS,,2026-03-09,,",
    )
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    appointment = Activity.objects.get(external_id="A-1")
    assert (appointment.owner, appointment.account, appointment.contact) == (org.rm_a1, acme, claire)
    assert (appointment.kind, appointment.is_first_appointment, appointment.date) == (
        "appointment",
        True,
        datetime.date(2026, 3, 10),
    )
    assert (appointment.outcome, appointment.notes) == ("Proposal asked", "Budget in May")
    conversation = Activity.objects.get(kind="conversation")
    assert (conversation.external_id, conversation.contact, conversation.is_first_appointment) == (
        None,
        None,
        False,
    )


def test_importing_the_same_activities_again_changes_nothing(org, leader, acme):
    rows = [
        f"A-1,{org.rm_a1.email},appointment,yes,Acme SAS,,2026-03-10,,",
        f"A-2,{org.rm_a1.email},proposal,,Acme SAS,,2026-03-11,,",
    ]
    assert import_activities(leader, *rows).created == 2
    before = list(Activity.objects.order_by("pk").values())
    again = import_activities(leader, *rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert list(Activity.objects.order_by("pk").values()) == before


def test_an_activity_imported_again_with_other_values_is_updated(org, leader, acme):
    import_activities(leader, f"A-1,{org.rm_a1.email},appointment,yes,Acme SAS,,2026-03-10,,")
    pk = Activity.objects.get().pk
    result = import_activities(leader, f"A-1,{org.rm_a1.email},appointment,no,Acme SAS,,2026-03-12,Moved,")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    activity = Activity.objects.get()
    assert (activity.pk, activity.date, activity.is_first_appointment, activity.outcome) == (
        pk,
        datetime.date(2026, 3, 12),
        False,
        "Moved",
    )


def test_rows_without_external_id_are_added_at_each_import(org, leader, acme):
    row = f",{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,"
    import_activities(leader, row)
    import_activities(leader, row)
    assert Activity.objects.count() == 2


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "{rm},meeting,,Acme SAS,,2026-03-10",
            RowError(2, 3, "kind", "“meeting” is not one of: conversation, appointment, proposal."),
        ),
        (
            "{rm},conversation,,Acme SAS,,2017-13-01",
            RowError(2, 3, "date", "Enter a date as YYYY-MM-DD, e.g. 2017-03-01."),
        ),
        (
            "{rm},conversation,,Acme SAS,,10/03/2026",
            RowError(2, 3, "date", "Enter a date as YYYY-MM-DD, e.g. 2017-03-01."),
        ),
        (
            "{rm},conversation,yes,Acme SAS,,2026-03-10",
            RowError(2, 3, "first_appointment", "Only an appointment can be a first appointment."),
        ),
        (
            "{rm},conversation,maybe,Acme SAS,,2026-03-10",
            RowError(2, 3, "first_appointment", "Enter yes or no (or leave it empty for no)."),
        ),
        (
            "{rm},conversation,,Acme SAS,Paul Nobody,2026-03-10",
            RowError(2, 3, "contact", "“Paul Nobody” is not a contact of “Acme SAS”."),
        ),
        (
            "{rm},conversation,,Nowhere SAS,,2026-03-10",
            RowError(2, 3, "account", "Unknown account “Nowhere SAS”."),
        ),
        (
            "{peer},conversation,,Acme SAS,,2026-03-10",
            RowError(2, 3, "account", "“Acme SAS” is an account of RM A1, not of RM A1 peer."),
        ),
        ("{rm},conversation,,Acme SAS,,", RowError(2, 3, "date", "This field is required.")),
    ],
)
def test_a_bad_activity_row_is_reported_and_nothing_is_imported(org, leader, acme, claire, row, error):
    row = row.format(rm=org.rm_a1.email, peer=org.rm_a1_peer.email)
    result = import_activities(
        leader, f",{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,", f",{row},,"
    )
    assert result.errors == [error]
    assert Activity.objects.count() == 0


def test_two_contacts_of_the_same_name_make_the_row_ambiguous(org, leader, acme, claire):
    ContactFactory(account=acme, name="CLAIRE DUBOIS")
    result = import_activities(
        leader, f",{org.rm_a1.email},conversation,,Acme SAS,Claire Dubois,2026-03-10,,"
    )
    assert result.errors == [
        RowError(
            1,
            2,
            "contact",
            "Two contacts of “Acme SAS” are called “Claire Dubois”: rename one on the account's page.",
        )
    ]


@pytest.mark.parametrize("owner", ["rm_a2", "rm_b1", "leader_a1", "nobody"])
def test_leader_imports_activities_for_their_own_team_only(org, leader, owner):
    email = getattr(org, owner).email if owner != "nobody" else "nobody@bank.example"
    AccountFactory(legal_name="Other SAS", owner=getattr(org, owner) if owner.startswith("rm") else org.rm_a1)
    result = import_activities(leader, f",{email},conversation,,Other SAS,,2026-03-10,,")
    assert (
        RowError(
            1, 2, "owner_email", f"Unknown owner “{email}”: no relationship manager of yours has this e-mail."
        )
        in result.errors
    )
    assert Activity.objects.count() == 0


def test_an_rm_cannot_import_for_another_rm_or_on_another_rms_account(org, acme):
    AccountFactory(legal_name="Peer SAS", owner=org.rm_a1_peer)
    rm = org.rm_a1
    result = import_activities(
        rm,
        f",{org.rm_a1_peer.email},conversation,,Peer SAS,,2026-03-10,,",
        f",{rm.email},conversation,,Peer SAS,,2026-03-10,,",
        f",{rm.email},conversation,,Acme SAS,,2026-03-10,,",
    )
    assert result.errors == [
        RowError(
            1,
            2,
            "owner_email",
            f"Unknown owner “{org.rm_a1_peer.email}”: no relationship manager of yours has this e-mail.",
        ),
        RowError(1, 2, "account", "Unknown account “Peer SAS”."),
        RowError(2, 3, "account", "Unknown account “Peer SAS”."),
    ]
    assert Activity.objects.count() == 0


def test_director_imports_for_their_region_and_admin_for_anyone(org):
    AccountFactory(legal_name="A2 SAS", owner=org.rm_a2)
    AccountFactory(legal_name="B1 SAS", owner=org.rm_b1)
    assert import_activities(org.director_a, f",{org.rm_a2.email},conversation,,A2 SAS,,2026-03-10,,").ok
    assert not import_activities(org.director_a, f",{org.rm_b1.email},conversation,,B1 SAS,,2026-03-10,,").ok
    assert import_activities(org.admin, f",{org.rm_b1.email},conversation,,B1 SAS,,2026-03-10,,").ok
    assert Activity.objects.count() == 2


def test_an_external_id_used_by_someone_outside_my_teams_or_twice_in_the_file_is_refused(org, leader, acme):
    ActivityFactory(owner=org.rm_b1, external_id="B-1")
    result = import_activities(
        leader,
        f"B-1,{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,",
        f"A-1,{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,",
        f"A-1,{org.rm_a1.email},proposal,,Acme SAS,,2026-03-11,,",
    )
    assert result.errors == [
        RowError(1, 2, "external_id", "This external id is an activity of someone outside your teams."),
        RowError(3, 4, "external_id", "Appears twice in the file (also row 2)."),
    ]
    assert Activity.objects.filter(owner=org.rm_a1).count() == 0


def test_an_activity_created_meanwhile_is_caught_by_the_database_and_nothing_is_imported(
    org, leader, acme, monkeypatch
):
    prepare = ActivityImport.prepare

    def prepare_then_someone_else_imports_it(self, rows):
        prepare(self, rows)
        ActivityFactory(owner=org.rm_a1, account=acme, external_id="A-2")  # after the lookups

    monkeypatch.setattr(ActivityImport, "prepare", prepare_then_someone_else_imports_it)
    result = import_activities(
        leader,
        f"A-1,{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,",
        f"A-2,{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,",
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "")]
    assert result.errors[0].message.startswith("The database refused this row:"), result.errors
    # Nothing of the file is saved. (The stand-in racer writes inside the import's own transaction, so it
    # is rolled back with it; a real one commits on its own.)
    assert not Activity.objects.filter(external_id="A-1").exists()


def test_checking_an_activities_file_costs_the_same_queries_whatever_its_size(
    org, acme, claire, django_assert_num_queries
):
    def bad_file(size):
        rows = [
            f"A-{n},{org.rm_a1.email},appointment,,Acme SAS,Claire Dubois,2026-03-10,," for n in range(size)
        ]
        return csv_bytes(ACTIVITY_HEADER, *rows, f",{org.rm_a1.email},meeting,,Acme SAS,,2026-03-10,,")

    for size in (3, 20):
        leader = User.objects.get(pk=org.leader_a1.pk)  # a fresh object: its role is not cached
        # role: 1 directs regions? 2 leads teams?; lookups: 3 owners, 4 accounts (with their owner), 5 their
        # contacts, 6 the people the leader may change, 7 activities already imported with these external
        # ids; the import's transaction, a savepoint in a test: 8 opened; the chunk's savepoint, its rows
        # COPYed as they are checked (psycopg2's COPY is not counted): 9 opened, 10 released; the import's:
        # 11 rolled back to, 12 released. On SQLite the rows go in by INSERT: one statement more.
        expected = 12 if connection.vendor == "postgresql" else 13
        with django_assert_num_queries(expected):
            result = csv_import(file=bad_file(size), spec=ActivityImport, by=leader)
        assert len(result.errors) == 1


# --- Balances -----------------------------------------------------------------------------------------


def test_leader_imports_balances_then_the_same_file_changes_nothing_and_a_new_figure_replaces_the_old(
    org, leader, acme
):
    rows = [
        "acme sas,LOANS,2026-01-31,250000.00",
        "Acme SAS,dda,2026-01-31,1200.50",
        "Acme SAS,loans,2026-02-28,260000",
    ]
    result = import_balances(leader, *rows)
    assert (result.ok, result.created) == (True, 3), result.errors
    loans = Metric.objects.get(code="loans")
    assert BalanceSnapshot.objects.get(metric=loans, month_end="2026-02-28").balance == Decimal("260000")
    again = import_balances(leader, *rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = import_balances(leader, "Acme SAS,loans,2026-02-28,270000.00", "Acme SAS,loans,2026-03-31,1")
    assert (changed.created, changed.updated, changed.unchanged) == (1, 1, 0)
    assert BalanceSnapshot.objects.get(metric=loans, month_end="2026-02-28").balance == Decimal("270000")
    assert BalanceSnapshot.objects.count() == 4


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "Acme SAS,loans,2026-02-27,1",
            RowError(2, 3, "month_end", "Give the month's last day, e.g. 2026-02-28."),
        ),
        (
            "Acme SAS,loans,2026-02-30,1",
            RowError(2, 3, "month_end", "Enter a date as YYYY-MM-DD, e.g. 2017-03-01."),
        ),
        (
            "Acme SAS,wins,2026-01-31,1",
            RowError(2, 3, "metric", "Unknown balance metric “wins”: use one of dda, loans."),
        ),
        ('Acme SAS,loans,2026-02-28,"1,5"', RowError(2, 3, "balance", "Enter a number.")),
        ("Acme SAS,loans,2026-03-31,", RowError(2, 3, "balance", "This field is required.")),
        ("B1 SAS,loans,2026-01-31,1", RowError(2, 3, "account", "Unknown account “B1 SAS”.")),
        (
            "ACME SAS,loans,2026-01-31,2",
            RowError(
                2, 3, "month_end", "Row 1 already gives this account's balance for this metric and month end."
            ),
        ),
    ],
)
def test_a_bad_balance_row_is_reported_and_nothing_is_imported(org, leader, acme, row, error):
    AccountFactory(legal_name="B1 SAS", owner=org.rm_b1)
    result = import_balances(leader, "Acme SAS,loans,2026-01-31,100", row)
    assert result.errors == [error]
    assert BalanceSnapshot.objects.count() == 0


def test_an_rm_imports_balances_of_their_own_accounts_only(org, acme):
    AccountFactory(legal_name="Peer SAS", owner=org.rm_a1_peer)
    assert import_balances(org.rm_a1, "Acme SAS,loans,2026-01-31,100").ok
    result = import_balances(org.rm_a1, "Peer SAS,loans,2026-01-31,100")
    assert result.errors == [RowError(1, 2, "account", "Unknown account “Peer SAS”.")]


def test_a_balance_of_an_account_out_of_reach_is_untouched(org, leader):
    other = BalanceSnapshotFactory(
        account=AccountFactory(legal_name="B1 SAS", owner=org.rm_b1), month_end=datetime.date(2026, 1, 31)
    )
    assert not import_balances(leader, "B1 SAS,loans,2026-01-31,5").ok
    other.refresh_from_db()
    assert other.balance == Decimal("100000.00")


# --- The CRM pipeline ---------------------------------------------------------------------------------

TEAMS = [
    "Anna Snelling,Dustin Brinkmann,Central",
    "Cecily Lampkin,Dustin Brinkmann,Central",
    "Moses Frase,Cara Losch,East",
]


def import_pipeline(by, *rows, teams=TEAMS, **kwargs):
    return pipeline_import(
        pipeline=csv_bytes(PIPELINE_HEADER, *rows),
        teams=csv_bytes(TEAMS_HEADER, *teams) if teams is not None else None,
        by=by,
        today=datetime.date(2026, 5, 4),
        **kwargs,
    )


def test_admin_imports_a_pipeline_with_its_teams_file(org):
    result = import_pipeline(
        org.admin,
        "1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054",
        "Z063OYW0,Anna Snelling,GTXPro,Isdom,Lost,2016-10-25,2017-03-11,0",
        "EC4QE1BX,Anna Snelling,MG Special,cancity,Engaging,2016-10-25,,",
        "HAXMC4IX,Cecily Lampkin,,,Prospecting,,,",
    )
    assert result.ok, (result.teams.errors, result.pipeline.errors)
    assert (result.pipeline.created, dict(result.tally)) == (
        4,
        {
            "regions": 2,
            "people": 5,
            "people_moved": 0,
            "teams": 2,
            "accounts": 3,
            "products": 3,
            "stage_changes": 6,
        },
    )
    central = Region.objects.get(name="Central")
    team = Team.objects.get(region=central)
    assert (team.name, team.leader.display_name, team.leader.email) == (
        "Dustin Brinkmann team",
        "Dustin Brinkmann",
        "dustin.brinkmann@crm.import",
    )
    anna = User.objects.get(email="anna.snelling@crm.import")
    assert (anna.display_name, anna.team, anna.role, anna.has_usable_password()) == (
        "Anna Snelling",
        team,
        Role.RM,
        False,
    )
    assert team.leader.role == Role.LEADER
    won = Opportunity.objects.get(external_id="1C1I7A6R")
    assert (won.stage, won.owner.display_name, won.account.legal_name, won.product.name, won.value) == (
        "won",
        "Moses Frase",
        "Cancity",
        "GTX Plus Basic",
        Decimal("1054"),
    )
    assert won.account.owner == won.owner  # the agent of the first row naming the account owns it
    assert Opportunity.objects.get(external_id="EC4QE1BX").account == won.account
    assert (won.engage_date, won.close_date) == (datetime.date(2016, 10, 20), datetime.date(2017, 3, 1))
    assert [(c.from_stage, c.to_stage, c.changed_on) for c in won.stage_changes.all()] == [
        ("", "engaging", datetime.date(2016, 10, 20)),
        ("engaging", "won", datetime.date(2017, 3, 1)),
    ]
    prospect = Opportunity.objects.get(external_id="HAXMC4IX")
    assert (prospect.stage, prospect.value, prospect.product, prospect.account.legal_name) == (
        "prospecting",
        None,
        None,
        "Unnamed account (Cecily Lampkin)",
    )
    assert [(c.to_stage, c.changed_on) for c in prospect.stage_changes.all()] == [
        ("prospecting", datetime.date(2026, 5, 4))
    ]
    assert Product.objects.get(name="GTXPro").category == "Imported"
    assert Account.objects.get(legal_name="Isdom").industry is None


def test_importing_the_pipeline_again_changes_nothing_and_a_new_stage_is_recorded(org):
    rows = [
        "OPP1,Moses Frase,MG Special,Cancity,Engaging,2017-01-02,,",
        "OPP2,Anna Snelling,MG Special,Isdom,Won,2017-01-02,2017-02-01,50",
    ]
    import_pipeline(org.admin, *rows)
    counts = {m: m.objects.count() for m in (Opportunity, Account, Product, StageChange, User, Team, Region)}
    before = list(Opportunity.objects.order_by("pk").values())
    again = import_pipeline(org.admin, *rows)
    assert (again.pipeline.created, again.pipeline.updated, again.pipeline.unchanged) == (0, 0, 2)
    assert {m: m.objects.count() for m in counts} == counts
    assert list(Opportunity.objects.order_by("pk").values()) == before

    moved = import_pipeline(
        org.admin, "OPP1,Moses Frase,MG Special,Cancity,Won,2017-01-02,2017-03-15,60", rows[1]
    )
    assert (moved.pipeline.created, moved.pipeline.updated, moved.pipeline.unchanged) == (0, 1, 1)
    deal = Opportunity.objects.get(external_id="OPP1")
    assert (deal.stage, deal.close_date, deal.value) == ("won", datetime.date(2017, 3, 15), Decimal("60"))
    change = deal.stage_changes.last()
    assert (change.from_stage, change.to_stage, change.changed_on, change.changed_by) == (
        "engaging",
        "won",
        datetime.date(2017, 3, 15),
        org.admin,
    )
    assert StageChange.objects.count() == counts[StageChange] + 1


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "X2,Anna Snelling,GTX,Acme,Closed,2017-01-02,2017-02-01,5",
            RowError(
                2, 3, "deal_stage", "“Closed” is not one of: prospecting, engaging, proposal, won, lost."
            ),
        ),
        (
            "X2,Anna Snelling,GTX,Acme,Won,2017-13-01,2017-02-01,5",
            RowError(2, 3, "engage_date", "Enter a date as YYYY-MM-DD, e.g. 2017-03-01."),
        ),
        (
            "X2,Anna Snelling,GTX,Acme,Won,2017-01-02,,5",
            RowError(2, 3, "close_date", "A won or lost opportunity needs a close date."),
        ),
        (
            "X2,Anna Snelling,GTX,Acme,Lost,2017-03-02,2017-03-01,0",
            RowError(2, 3, "close_date", "The close date cannot be before the engagement date."),
        ),
        (
            "X2,Darcel Schlecht,GTX,Acme,Won,2017-01-02,2017-02-01,5",
            RowError(2, 3, "sales_agent", "Unknown sales agent “Darcel Schlecht”: not in the teams file."),
        ),
        (
            "X2,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,-5",
            RowError(2, 3, "close_value", "Ensure this value is greater than or equal to 0."),
        ),
        (
            "X2,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,1 054",
            RowError(2, 3, "close_value", "Enter a number."),
        ),
        (
            "X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5",
            RowError(2, 3, "opportunity_id", "Appears twice in the file (also row 1)."),
        ),
    ],
)
def test_a_bad_pipeline_row_is_reported_and_nothing_is_imported(org, row, error):
    users = User.objects.count()
    result = import_pipeline(org.admin, "X1,Moses Frase,GTX,Acme,Won,2017-01-02,2017-02-01,5", row)
    assert result.pipeline.errors == [error]
    assert not result.ok
    assert (Opportunity.objects.count(), Account.objects.count(), Product.objects.count()) == (0, 0, 0)
    assert (User.objects.count(), Team.objects.count() - 3, Region.objects.count() - 2) == (users, 0, 0)


@pytest.mark.parametrize(
    ("teams", "error"),
    [
        (
            ["Anna Snelling,Dustin Brinkmann,Central", "anna snelling,Cara Losch,East"],
            RowError(2, 3, "sales_agent", "Appears twice in the file (also row 1)."),
        ),
        (
            ["Anna Snelling,Dustin Brinkmann,Central", "Moses Frase,Dustin Brinkmann,East"],
            RowError(
                2,
                3,
                "regional_office",
                "Dustin Brinkmann's team is in Central on an earlier row: a team is in one region.",
            ),
        ),
        (
            ["Anna Snelling,Dustin Brinkmann,Central", "Dustin Brinkmann,Cara Losch,East"],
            RowError(2, 3, "sales_agent", "“Dustin Brinkmann” is also a manager in this file."),
        ),
        (
            ["Anna Snelling,Dustin Brinkmann,Central", "Moses (Frase),Cara Losch,East"],
            RowError(
                2,
                3,
                "sales_agent",
                "No e-mail address can be made from “Moses (Frase)”: use letters, spaces, hyphens and dots.",
            ),
        ),
        (
            ["Anna Snelling,Dustin Brinkmann,Central", "Moses Frase,,East"],
            RowError(2, 3, "manager", "This field is required."),
        ),
    ],
)
def test_a_bad_teams_file_is_reported_and_nothing_is_created(org, teams, error):
    users = User.objects.count()
    result = import_pipeline(org.admin, "X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5", teams=teams)
    assert result.teams.errors == [error]
    assert (result.ok, result.pipeline) == (False, None)
    assert (User.objects.count(), Opportunity.objects.count()) == (users, 0)


def test_a_sales_agent_who_already_leads_a_team_is_refused(org):
    User.objects.filter(pk=org.leader_a1.pk).update(email="anna.snelling@crm.import")
    result = import_pipeline(org.admin, "X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5")
    assert result.teams.errors == [
        RowError(
            1,
            2,
            "sales_agent",
            "anna.snelling@crm.import is already a team leader: a sales agent must be a relationship manager.",
        )
    ]


def test_only_an_administrator_imports_a_teams_file(org):
    with pytest.raises(PermissionDenied, match="Only an administrator may import a teams file"):
        import_pipeline(org.director_a, "X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5")


def test_leader_imports_a_pipeline_for_their_rms_named_by_display_name(org, leader):
    AccountFactory(legal_name="Elsewhere SAS", owner=org.rm_b1)
    result = import_pipeline(
        leader,
        "X1,rm a1,GTX,Acme,Won,2017-01-02,2017-02-01,5",
        "X2,RM A2,GTX,Acme,Won,2017-01-02,2017-02-01,5",
        "X3,RM A1 peer,GTX,Elsewhere SAS,Engaging,2017-01-02,,",
        teams=None,
    )
    assert result.pipeline.errors == [
        RowError(
            2,
            3,
            "sales_agent",
            "Unknown sales agent “RM A2”: none of your relationship managers has this name.",
        ),
        RowError(3, 4, "account", "The account “Elsewhere SAS” is an account of someone outside your teams."),
    ]
    ok = import_pipeline(leader, "X1,rm a1,GTX,Acme,Won,2017-01-02,2017-02-01,5", teams=None)
    assert ok.ok
    assert Opportunity.objects.get().owner == org.rm_a1


def test_a_deal_of_someone_outside_my_teams_is_not_touched(org, leader):
    OpportunityFactory(owner=org.rm_b1, external_id="B-1")
    result = import_pipeline(leader, "B-1,RM A1,GTX,Acme,Won,2017-01-02,2017-02-01,5", teams=None)
    assert result.pipeline.errors == [
        RowError(1, 2, "opportunity_id", "This opportunity is a deal of someone outside your teams.")
    ]
    assert Opportunity.objects.get(external_id="B-1").owner == org.rm_b1


def test_a_pipeline_dry_run_checks_everything_and_writes_nothing(org):
    result = import_pipeline(org.admin, "X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5", dry_run=True)
    assert result.ok
    assert (result.pipeline.created, result.tally["people"]) == (1, 5)
    assert not User.objects.filter(email__endswith="@crm.import").exists()
    assert Opportunity.objects.count() == 0


@pytest.mark.parametrize("read_back", [False, True], ids=["ids-reserved", "ids-read-back"])
def test_a_pipeline_streams_the_chunks_that_need_nothing_created_and_saves_the_others_first(
    org, monkeypatch, read_back
):
    """A chunk's deals go to the database while they are checked only when the teams file's people are saved
    and every account and product it names exists; other chunks create those first. Both ways store the same
    deals and stage history, whether the new deals' ids are taken from the sequence first (PostgreSQL) or
    read back after they are written (elsewhere)."""
    monkeypatch.setattr(PipelineImport, "chunk_rows", 2)
    if read_back:
        monkeypatch.setattr(bulk, "reserve_ids", lambda model, count: None)
    streamed = []
    prepare = PipelineImport.prepare

    def spy(self, rows):
        prepare(self, rows)
        streamed.append(self.streams)

    monkeypatch.setattr(PipelineImport, "prepare", spy)
    rows = [
        "S1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5",  # chunk 1: the people are not saved yet
        "S2,Anna Snelling,GTX,Acme,Engaging,2017-01-03,,",
        "S3,Anna Snelling,GTX,Acme,Lost,2017-01-02,2017-02-03,0",  # chunk 2: Anna's unnamed account is
        "S4,Anna Snelling,GTX,,Prospecting,,,",  # created first
        "S5,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-03-01,7",  # chunk 3: everything exists: streamed
    ]
    result = import_pipeline(org.admin, *rows)
    assert result.ok, result.pipeline.errors
    assert streamed == [False, False, True]
    assert result.pipeline.created == 5
    assert result.tally["stage_changes"] == 2 + 1 + 2 + 1 + 2
    paths = {
        deal.external_id: [(c.from_stage, c.to_stage) for c in deal.stage_changes.all()]
        for deal in Opportunity.objects.prefetch_related("stage_changes")
    }
    assert paths["S3"] == [("", "engaging"), ("engaging", "lost")]
    assert paths["S4"] == [("", "prospecting")]
    assert Opportunity.objects.get(external_id="S4").account.legal_name == "Unnamed account (Anna Snelling)"
    again = import_pipeline(org.admin, *rows)  # every chunk streams now, and nothing changes
    assert (again.pipeline.unchanged, streamed[-3:]) == (5, [False, True, True])


# --- Commands -------------------------------------------------------------------------------------------


@pytest.fixture
def write_csv(tmp_path):
    def write(name, header, *rows):
        path = tmp_path / name
        path.write_bytes(csv_bytes(header, *rows))
        return str(path)

    return write


def test_import_activities_command_prints_the_counts(org, leader, acme, write_csv):
    path = write_csv("a.csv", ACTIVITY_HEADER, f"A-1,{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,")
    out = StringIO()
    call_command("import_activities", path, "--as", leader.email, stdout=out)
    assert out.getvalue().strip() == "1 activity created, 0 updated, 0 unchanged."
    out = StringIO()
    call_command("import_activities", path, "--as", leader.email, stdout=out)
    assert out.getvalue().strip() == "0 activities created, 0 updated, 1 unchanged."
    assert Activity.objects.count() == 1


def test_import_balances_command_dry_run_writes_nothing_and_a_bad_file_exits_1(org, acme, write_csv):
    path = write_csv("b.csv", BALANCE_HEADER, "Acme SAS,loans,2026-01-31,10")
    out = StringIO()
    call_command("import_balances", path, "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        "Dry run: the file is valid; 1 balance created, 0 updated, 0 unchanged. Nothing was written."
    )
    assert BalanceSnapshot.objects.count() == 0
    bad = write_csv("bad.csv", BALANCE_HEADER, "Acme SAS,loans,2026-01-30,10")
    err = StringIO()
    with pytest.raises(CommandError, match=r"Nothing was imported\.") as raised:
        call_command("import_balances", bad, stderr=err)
    assert raised.value.returncode == 1
    assert err.getvalue().splitlines()[1].split()[:3] == ["1", "2", "month_end"]


def test_import_commands_refuse_an_rm(org, acme, write_csv):
    path = write_csv("a.csv", ACTIVITY_HEADER, f",{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,")
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_activities", path, "--as", org.rm_a1.email)


def test_import_opportunities_command_reports_problems_per_file(org, write_csv):
    pipeline = write_csv(
        "pipeline.csv", PIPELINE_HEADER, "X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5"
    )
    teams = write_csv("teams.csv", TEAMS_HEADER, *TEAMS)
    out = StringIO()
    call_command("import_opportunities", pipeline, "--teams", teams, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "1 opportunity created, 0 updated, 0 unchanged.",
        "Teams file: 2 new regions, 2 new teams, 5 new people, 0 moved.",
        "1 new accounts, 1 new products, 2 stage changes recorded.",
    ]
    bad = write_csv("bad.csv", PIPELINE_HEADER, "X9,Nobody,GTX,Acme,Won,2017-01-02,2017-02-01,5")
    err = StringIO()
    with pytest.raises(CommandError, match=r"Nothing was imported\."):
        call_command("import_opportunities", bad, "--teams", teams, stderr=err)
    report = err.getvalue().splitlines()
    assert report[0] == f"{bad}:"
    assert "Unknown sales agent “Nobody”: not in the teams file." in report[2]
    assert Opportunity.objects.count() == 1


def test_import_opportunities_command_refuses_a_teams_file_from_a_leader(org, leader, write_csv):
    pipeline = write_csv(
        "pipeline.csv", PIPELINE_HEADER, "X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5"
    )
    teams = write_csv("teams.csv", TEAMS_HEADER, *TEAMS)
    with pytest.raises(CommandError, match="Only an administrator may import a teams file"):
        call_command("import_opportunities", pipeline, "--teams", teams, "--as", leader.email)


# --- The page ---------------------------------------------------------------------------------------------


def upload(client, kind, content, teams=None):
    data = {"kind": kind, "file": SimpleUploadedFile("import.csv", content, content_type="text/csv")}
    if teams is not None:
        data["teams_file"] = SimpleUploadedFile("teams.csv", teams, content_type="text/csv")
    return client.post(reverse("kpis:import"), data)


@pytest.fixture
def eager():
    """Run tasks in the test (a unit test of the page and the task body; a real worker is tested elsewhere)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_rm_may_not_import_nor_see_a_job(rm_client, org):
    job = ImportJobFactory(created_by=org.rm_a1)
    assert rm_client.get(reverse("kpis:import")).status_code == 403
    assert upload(rm_client, "activities", csv_bytes(ACTIVITY_HEADER)).status_code == 403
    assert rm_client.get(reverse("kpis:import-status", args=[job.pk])).status_code == 403
    assert rm_client.get(reverse("kpis:import-template", args=["activities"])).status_code == 403
    assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("who", ["leader_client", "director_client", "admin_client"])
def test_leaders_directors_and_admins_see_the_import_page(request, who):
    response = request.getfixturevalue(who).get(reverse("kpis:import"))
    assert response.status_code == 200
    page = response.content.decode()
    for kind in ("activities", "balances", "opportunities"):
        assert f'value="{kind}"' in page
        assert reverse("kpis:import-template", args=[kind]) in page
    assert ('name="teams_file"' in page) == (who == "admin_client"), (
        "only an administrator imports a teams file"
    )


@pytest.mark.parametrize(
    ("viewer", "owner", "status"),
    [
        ("leader_a1", "leader_a1", 200),
        ("leader_a1", "leader_a2", 404),
        ("director_a", "leader_a1", 404),
        ("admin", "leader_a1", 200),
    ],
)
def test_a_job_is_seen_by_its_creator_and_administrators_only(client, org, viewer, owner, status):
    job = ImportJobFactory(created_by=getattr(org, owner))
    client.force_login(getattr(org, viewer))
    assert client.get(reverse("kpis:import-status", args=[job.pk])).status_code == status
    assert (
        client.get(reverse("kpis:import-status", args=[job.pk]), HTTP_HX_REQUEST="true").status_code == status
    )


def test_an_upload_stores_a_job_and_enqueues_it_once_committed(
    leader_client, leader, org, acme, django_capture_on_commit_callbacks
):
    content = csv_bytes(ACTIVITY_HEADER, f"A-1,{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,")
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(leader_client, "activities", content)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("kpis:import-status", args=[job.pk])
    assert (job.kind, job.status, job.created_by, bytes(job.content), job.file_name) == (
        "activities",
        "queued",
        leader,
        content,
        "import.csv",
    )
    assert len(callbacks) == 1, "one task, sent after the commit"
    assert Activity.objects.count() == 0


def test_an_upload_is_imported_by_the_task_and_the_page_shows_the_counts(
    leader_client, org, acme, eager, django_capture_on_commit_callbacks
):
    content = csv_bytes(ACTIVITY_HEADER, f"A-1,{org.rm_a1.email},conversation,,Acme SAS,,2026-03-10,,")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(leader_client, "activities", content)
    job = ImportJob.objects.get()
    assert (job.status, job.rows_done, job.rows_total, bytes(job.content)) == ("done", 1, 1, b"")
    assert Activity.objects.get().external_id == "A-1"
    page = leader_client.get(response["Location"]).content.decode()
    assert "1 activity created, 0 updated, 0 unchanged." in page
    assert 'hx-trigger="every 1s"' not in page, "a finished job is not polled"


def test_an_admin_imports_opportunities_with_a_teams_file_in_the_browser(
    admin_client, org, eager, django_capture_on_commit_callbacks
):
    pipeline = csv_bytes(PIPELINE_HEADER, "X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, "opportunities", pipeline, teams=csv_bytes(TEAMS_HEADER, *TEAMS))
    job = ImportJob.objects.get()
    assert (job.status, job.teams_file_name) == ("done", "teams.csv")
    page = admin_client.get(response["Location"]).content.decode()
    assert "Teams file: 2 new regions, 2 new teams, 5 new people, 0 moved." in page
    assert Opportunity.objects.get().owner.email == "anna.snelling@crm.import"


def test_a_teams_file_goes_with_opportunities_only(admin_client):
    response = upload(admin_client, "activities", csv_bytes(ACTIVITY_HEADER), teams=csv_bytes(TEAMS_HEADER))
    assert response.status_code == 400
    assert response.context["form"].errors["teams_file"] == [
        "Only an opportunities import takes a teams file."
    ]
    assert ImportJob.objects.count() == 0


def test_a_leaders_teams_file_is_ignored_as_the_form_offers_none(
    leader_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        upload(
            leader_client, "opportunities", csv_bytes(PIPELINE_HEADER), teams=csv_bytes(TEAMS_HEADER, *TEAMS)
        )
    job = ImportJob.objects.get()
    assert (job.teams_file_name, job.teams_content) == ("", None)


def test_an_upload_needs_a_file(leader_client):
    response = leader_client.post(reverse("kpis:import"), {"kind": "activities"})
    assert response.status_code == 400
    assert "This field is required." in response.context["form"].errors["file"]


def test_the_status_partial_shows_progress_and_keeps_polling(leader_client, leader):
    job = ImportJobFactory(created_by=leader, status=ImportStatus.RUNNING, rows_done=1000, rows_total=5000)
    response = leader_client.get(reverse("kpis:import-status", args=[job.pk]), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page, "htmx gets the panel only"
    assert f'hx-get="{reverse("kpis:import-status", args=[job.pk])}"' in page
    assert 'hx-trigger="every 1s"' in page
    assert 'aria-valuenow="20"' in page and "width: 20%" in page
    assert "Checking the rows: 1,000 of 5,000." in page


@pytest.mark.parametrize(
    ("status", "done", "total", "text"),
    [
        (ImportStatus.QUEUED, 0, 0, "Waiting for a worker to start the import…"),
        (ImportStatus.RUNNING, 0, 0, "Reading the file…"),
        (ImportStatus.RUNNING, 40, 40, "Every row is valid; saving them…"),
    ],
)
def test_the_status_partial_names_the_phase(leader_client, leader, status, done, total, text):
    job = ImportJobFactory(created_by=leader, status=status, rows_done=done, rows_total=total)
    page = leader_client.get(
        reverse("kpis:import-status", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert text in page


def test_a_failed_job_shows_its_report_and_stops_polling(leader_client, leader):
    problem = {
        "row": 2,
        "line": 3,
        "column": "date",
        "message": "Enter a date as YYYY-MM-DD, e.g. 2017-03-01.",
    }
    file = {
        "name": "a.csv",
        "checked": True,
        "file_errors": [],
        "error_count": 1,
        "hidden": 0,
        "errors": [problem],
    }
    report = {"ok": False, "files": [file]}
    job = ImportJobFactory(created_by=leader, status=ImportStatus.FAILED, report=report)
    page = leader_client.get(
        reverse("kpis:import-status", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 1s"' not in page
    assert "Nothing was imported." in page
    cells = re.findall(r"<td>(.*?)</td>", page)
    assert cells == ["2", "3", "<code>date</code>", "Enter a date as YYYY-MM-DD, e.g. 2017-03-01."]


def test_the_whole_job_page_lists_my_recent_imports(leader_client, leader, org):
    mine = ImportJobFactory(created_by=leader, kind=ImportKind.BALANCES, file_name="balances-jan.csv")
    ImportJobFactory(created_by=org.leader_a2, file_name="not-mine.csv")
    earlier = ImportJobFactory(created_by=leader, file_name="activities-dec.csv")
    page = leader_client.get(reverse("kpis:import-status", args=[mine.pk])).content.decode()
    assert "<html" in page
    assert page.count("balances-jan.csv") == 2  # the job panel's title and the breadcrumbs
    assert earlier.get_absolute_url() in page and "activities-dec.csv" in page
    assert "not-mine.csv" not in page


@pytest.mark.parametrize("jobs", [3, 20])
def test_the_job_page_and_its_polling_cost_a_fixed_number_of_queries(
    leader_client, leader, jobs, django_assert_num_queries
):
    job, *_others = ImportJobFactory.create_batch(jobs, created_by=leader)
    url = reverse("kpis:import-status", args=[job.pk])
    # 1 the session, 2 the user with what their role derives from, 3 the job, 4 the recent jobs (five at most).
    with django_assert_num_queries(4):
        assert leader_client.get(url).status_code == 200
    # Each second's poll: the session, the user, the job.
    with django_assert_num_queries(3):
        assert leader_client.get(url, HTTP_HX_REQUEST="true").status_code == 200


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("activities", ACTIVITY_HEADER),
        ("balances", BALANCE_HEADER),
        ("opportunities", PIPELINE_HEADER),
        ("teams", TEAMS_HEADER),
    ],
)
def test_the_template_csv_has_the_columns_of_its_kind(leader_client, kind, header):
    response = leader_client.get(reverse("kpis:import-template", args=[kind]))
    assert response["Content-Disposition"] == f'attachment; filename="{kind}-template.csv"'
    assert b"".join(response.streaming_content).decode().removeprefix("\ufeff").strip() == header


def test_an_unknown_template_is_not_found(leader_client):
    assert leader_client.get(reverse("kpis:import-template", args=["sheep"])).status_code == 404


def test_the_kinds_of_the_page_are_the_kinds_of_a_job():
    assert set(importers.KINDS) == set(ImportKind.values)


def test_a_file_read_in_chunks_is_still_imported_all_or_nothing(org, leader, acme, monkeypatch):
    """The engine saves chunk by chunk inside one transaction: a problem in the last chunk undoes the
    chunks saved before it, and a good file comes in whole, whatever the chunk size."""
    monkeypatch.setattr(ActivityImport, "chunk_rows", 2)
    good = [f"C-{n},{org.rm_a1.email},conversation,,Acme SAS,,2026-03-{n + 10},," for n in range(5)]
    bad = f"C-9,{org.rm_a1.email},meeting,,Acme SAS,,2026-03-20,,"
    result = import_activities(leader, *good, bad)
    assert [(e.row, e.column) for e in result.errors] == [(6, "kind")]
    assert (result.created, Activity.objects.count()) == (0, 0)
    result = import_activities(leader, *good)
    assert (result.ok, result.created, Activity.objects.count()) == (True, 5, 5)
    again = import_activities(leader, *good, good[0])  # a repeat across chunks is still caught
    assert [(e.row, e.column) for e in again.errors] == [(6, "external_id")]
    assert again.errors[0].message == "Appears twice in the file (also row 1)."
    # Keys older than the previous chunk are kept in a temporary table, not in memory: still caught.
    more = [f"E-{n},{org.rm_a1.email},conversation,,Acme SAS,,2026-05-{n + 1:02d},," for n in range(7)]
    late = import_activities(leader, *more, more[0], more[2], more[6])
    assert [(e.row, e.message) for e in late.errors] == [
        (8, "Appears twice in the file (also row 1)."),
        (9, "Appears twice in the file (also row 3)."),
        (10, "Appears twice in the file (also row 7)."),
    ]
    assert Activity.objects.filter(external_id__startswith="E-").count() == 0


def test_an_import_holds_one_chunk_of_rows_at_a_time(org, leader, acme, monkeypatch):
    """`prepare` (the lookups of a chunk) never sees more than `chunk_rows` rows."""
    monkeypatch.setattr(ActivityImport, "chunk_rows", 3)
    sizes = []
    prepare = ActivityImport.prepare

    def spy(self, rows):
        sizes.append(len(rows))
        prepare(self, rows)

    monkeypatch.setattr(ActivityImport, "prepare", spy)
    rows = [f"D-{n},{org.rm_a1.email},proposal,,Acme SAS,,2026-04-{n + 1:02d},," for n in range(8)]
    assert import_activities(leader, *rows).created == 8
    assert sizes == [3, 3, 2]


def test_a_file_problem_met_after_chunks_were_saved_undoes_them(org, leader, acme, monkeypatch):
    """Streaming saves early chunks before the end of the file is read: a file problem found later (too
    many rows, a value over 10,000 characters) still leaves nothing, and only the file problem is told."""
    monkeypatch.setattr(ActivityImport, "chunk_rows", 2)
    rows = [f"F-{n},{org.rm_a1.email},conversation,,Acme SAS,,2026-06-{n + 1:02d},," for n in range(5)]
    too_many = import_activities(leader, *rows, max_rows=4)
    assert too_many.file_errors == ["The file has more than 4 rows: split it into smaller files."]
    assert (too_many.created, too_many.errors, Activity.objects.count()) == (0, [], 0)
    huge = import_activities(
        leader, *rows, f"F-9,{org.rm_a1.email},conversation,,Acme SAS,,2026-06-09,,{'x' * 10_001}"
    )
    assert huge.file_errors == [
        "Line 7, column “notes”: the value is longer than 10,000 characters. Is a quote left open?"
    ]
    assert (huge.created, Activity.objects.count()) == (0, 0)
