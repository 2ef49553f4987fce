"""CSV import of accounts and contacts: the row rules, all-or-nothing, the commands and the page."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from salesplan.csvimport import RowError, csv_import
from targeting.importers import AccountImport, ContactImport
from targeting.models import Account, Contact, CriterionKind
from tests.factories.targeting import (
    AccountFactory,
    ContactFactory,
    IndustryFactory,
    PriorityCriterionFactory,
)

pytestmark = pytest.mark.django_db

ACCOUNT_HEADER = "legal_name,industry,annual_revenue,employees,owner_email,is_high_value,target_level"
CONTACT_HEADER = "account,name,title,level,is_primary"


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def import_accounts(by, *rows, header=ACCOUNT_HEADER, **kwargs):
    return csv_import(file=csv_bytes(header, *rows), spec=AccountImport, by=by, **kwargs)


def import_contacts(by, *rows, header=CONTACT_HEADER, **kwargs):
    return csv_import(file=csv_bytes(header, *rows), spec=ContactImport, by=by, **kwargs)


@pytest.fixture
def industry(db):
    return IndustryFactory(name="Manufacturing")


# --- Accounts ---------------------------------------------------------------------------------------------


def test_leader_imports_accounts_with_tiers_computed_and_history_recorded(org, leader, industry):
    PriorityCriterionFactory(team=org.team_a1, kind=CriterionKind.HIGH_VALUE, points=40)
    PriorityCriterionFactory(team=org.team_a1, kind=CriterionKind.EMPLOYEES_AT_LEAST, threshold=50, points=30)
    result = import_accounts(
        leader,
        f"Acme SAS,manufacturing,12500000.50,80,{org.rm_a1.email.upper()},yes,Senior executive",
        f"Beta SARL,,,10,{org.rm_a1_peer.email},no,",
    )
    assert result.ok, result.errors
    assert result.created == 2
    acme = Account.objects.get(legal_name="Acme SAS")
    assert (acme.owner, acme.industry, acme.annual_revenue) == (org.rm_a1, industry, Decimal("12500000.50"))
    assert (acme.employees, acme.is_high_value, acme.target_level) == (80, True, 2)
    assert (acme.tier_score, acme.tier_computed) == (70, "A")
    beta = Account.objects.get(legal_name="Beta SARL")
    assert (beta.tier_score, beta.tier_computed, beta.industry) == (0, "C", None)
    [record] = acme.history.all()
    assert (record.history_type, record.history_change_reason, record.history_user) == (
        "+",
        "CSV import",
        leader,
    )


def test_empty_optional_cells_take_the_defaults(org, leader):
    header = "legal_name,owner_email,currency,status,products_held,must_keep,playing_field"
    result = import_accounts(leader, f"Acme SAS,{org.rm_a1.email},,,,,", header=header)
    assert result.ok, result.errors
    acme = Account.objects.get()
    assert (acme.currency, acme.status, acme.products_held, acme.must_keep, acme.playing_field) == (
        "EUR",
        "prospect",
        0,
        False,
        "",
    )


def test_choices_take_codes_or_labels(org, leader):
    header = "legal_name,owner_email,currency,status,playing_field,target_level"
    result = import_accounts(
        leader, f"Acme SAS,{org.rm_a1.email},usd,Active client,bottom-up,owner/c-suite", header=header
    )
    assert result.ok, result.errors
    acme = Account.objects.get()
    assert (acme.currency, acme.status, acme.playing_field, acme.target_level) == (
        "USD",
        "active",
        "bottom_up",
        1,
    )


@pytest.mark.parametrize("amount", ["12,5k", "1 234,56", "1,234.56", "€12"])
def test_an_amount_that_is_not_a_plain_number_is_reported_and_nothing_imported(org, leader, amount):
    before = Account.objects.count()
    result = import_accounts(
        leader,
        f"Good SAS,,100,1,{org.rm_a1.email},,",
        f'Bad SAS,,"{amount}",1,{org.rm_a1.email},,',
    )
    assert result.errors == [RowError(2, 3, "annual_revenue", "Enter a number.")]
    assert Account.objects.count() == before


def test_a_negative_amount_is_refused_by_the_model_rule(org, leader):
    result = import_accounts(leader, f"Acme SAS,,-5,1,{org.rm_a1.email},,")
    assert result.errors == [
        RowError(1, 2, "annual_revenue", "Ensure this value is greater than or equal to 0.")
    ]


def test_an_unknown_industry_is_reported(org, leader, industry):
    result = import_accounts(leader, f"Acme SAS,Knitting,,,{org.rm_a1.email},,")
    assert result.errors == [
        RowError(
            1,
            2,
            "industry",
            "Unknown industry “Knitting”. Known industries are managed by an administrator.",
        )
    ]
    assert Account.objects.count() == 0


@pytest.mark.parametrize("owner", ["rm_a2", "rm_b1", "leader_a1", "nobody"])
def test_leader_cannot_give_accounts_to_anyone_but_their_own_rms(org, leader, owner):
    email = getattr(org, owner).email if owner != "nobody" else "nobody@bank.example"
    result = import_accounts(leader, f"Acme SAS,,,,{email},,")
    assert result.errors == [
        RowError(
            1,
            2,
            "owner_email",
            f"Unknown owner “{email}”: no relationship manager of yours has this e-mail.",
        )
    ]
    assert Account.objects.count() == 0


def test_director_imports_for_any_rm_of_the_region_and_admin_for_anyone(org):
    assert import_accounts(org.director_a, f"A SAS,,,,{org.rm_a2.email},,").ok
    assert not import_accounts(org.director_a, f"B SAS,,,,{org.rm_b1.email},,").ok
    assert import_accounts(org.admin, f"B SAS,,,,{org.rm_b1.email},,").ok
    assert Account.objects.count() == 2


def test_a_legal_name_twice_in_the_file_or_already_in_use_is_reported(org, leader):
    AccountFactory(legal_name="Existing SAS", owner=org.rm_b1)  # another region's: the name is still taken
    before = Account.objects.count()
    result = import_accounts(
        leader,
        f"New SAS,,,,{org.rm_a1.email},,",
        f"EXISTING sas,,,,{org.rm_a1.email},,",
        f"new sas,,,,{org.rm_a1_peer.email},,",
    )
    assert result.errors == [
        RowError(2, 3, "legal_name", "An account with this legal name already exists."),
        RowError(3, 4, "legal_name", "Appears twice in the file (also row 1)."),
    ]
    assert Account.objects.count() == before


def test_an_account_created_meanwhile_is_caught_by_the_database_and_nothing_is_imported(
    org, leader, monkeypatch
):
    prepare = AccountImport.prepare

    def prepare_then_someone_else_creates_it(self, rows):
        prepare(self, rows)
        AccountFactory(legal_name="Raced SAS", owner=org.rm_a1_peer)  # after the names were looked up

    monkeypatch.setattr(AccountImport, "prepare", prepare_then_someone_else_creates_it)
    result = import_accounts(
        leader,
        f"A SAS,,,,{org.rm_a1.email},,",
        f"Raced SAS,,,,{org.rm_a1.email},,",
        f"C SAS,,,,{org.rm_a1.email},,",
    )
    assert result.errors == [RowError(2, 3, "", "An account with this legal name already exists.")]
    # Nothing of the file is saved. (The stand-in racer writes inside the import's own transaction, so it
    # is rolled back with it; a real one commits on its own.)
    assert not Account.objects.filter(legal_name__in=["A SAS", "C SAS"]).exists()


def test_every_row_of_a_bad_file_is_reported_at_once(org, leader):
    result = import_accounts(
        leader,
        f"A SAS,,x,,{org.rm_a1.email},,",
        ",,,-1,,maybe,9",
    )
    assert [(e.row, e.column) for e in result.errors] == [
        (1, "annual_revenue"),
        (2, "legal_name"),
        (2, "employees"),
        (2, "owner_email"),
        (2, "is_high_value"),
        (2, "target_level"),
    ]


def test_accounts_file_without_required_columns_says_which(leader):
    result = import_accounts(leader, "Acme SAS", header="legal_name")
    assert result.file_errors == ["Missing required columns: owner_email."]


def test_validating_a_file_costs_the_same_queries_whatever_its_size(org, django_assert_num_queries):
    def bad_file(size):
        rows = [f"Company {n} SAS,Manufacturing,100,5,{org.rm_a1.email},no,1" for n in range(size)]
        return csv_bytes(ACCOUNT_HEADER, *rows, "Broken SAS,,x,,,,")

    IndustryFactory(name="Manufacturing")
    for size in (3, 20):
        leader = User.objects.get(pk=org.leader_a1.pk)  # a fresh object: its role is not cached
        # role: 1 directs regions? 2 leads teams?; lookups: 3 industries, 4 owners, 5 existing names; the
        # import's transaction, a savepoint in a test: 6 opened, 7 rolled back to, 8 released.
        with django_assert_num_queries(8):
            result = csv_import(file=bad_file(size), spec=AccountImport, by=leader)
        assert len(result.errors) == 2


# --- Contacts -----------------------------------------------------------------------------------------


@pytest.fixture
def acme(org):
    return AccountFactory(legal_name="Acme SAS", owner=org.rm_a1)


def test_leader_imports_contacts_of_their_teams_accounts(org, leader, acme):
    result = import_contacts(
        leader,
        "acme sas,Claire Dubois,CFO,owner/c-suite,yes",
        "ACME SAS,Paul Martin,Treasurer,3,",
    )
    assert result.ok, result.errors
    assert result.created == 2
    claire, paul = Contact.objects.order_by("name")
    assert (claire.account, claire.level, claire.is_primary, claire.title) == (acme, 1, True, "CFO")
    assert (paul.account, paul.level, paul.is_primary) == (acme, 3, False)


def test_a_contact_of_an_unknown_or_invisible_account_is_reported(org, leader, acme):
    AccountFactory(legal_name="Elsewhere SAS", owner=org.rm_b1)
    result = import_contacts(
        leader,
        "Acme SAS,Claire Dubois,,1,",
        "Elsewhere SAS,Paul Martin,,1,",
        "Nowhere SAS,Anne Roy,,1,",
    )
    assert result.errors == [
        RowError(2, 3, "account", "Unknown account “Elsewhere SAS”."),
        RowError(3, 4, "account", "Unknown account “Nowhere SAS”."),
    ]
    assert Contact.objects.count() == 0


def test_two_primary_contacts_of_one_account_in_the_file_are_refused(leader, acme):
    result = import_contacts(leader, "Acme SAS,Claire Dubois,,1,yes", "Acme SAS,Paul Martin,,2,yes")
    assert result.errors == [
        RowError(2, 3, "is_primary", "Row 1 already gives “Acme SAS” its primary contact: one per account.")
    ]
    assert Contact.objects.count() == 0


def test_a_primary_contact_for_an_account_that_has_one_is_refused(leader, acme):
    ContactFactory(account=acme, name="Old Primary", is_primary=True)
    result = import_contacts(leader, "Acme SAS,Claire Dubois,,1,yes", "Acme SAS,Paul Martin,,2,no")
    assert result.errors == [
        RowError(
            1,
            2,
            "is_primary",
            "“Acme SAS” already has a primary contact, Old Primary: leave is_primary empty, "
            "or change the primary contact on the account's page.",
        )
    ]
    assert Contact.objects.count() == 1


def test_a_contact_needs_a_name_and_a_known_level(leader, acme):
    result = import_contacts(leader, "Acme SAS,,,boss,")
    assert result.errors == [
        RowError(1, 2, "name", "This field is required."),
        RowError(1, 2, "level", "“boss” is not one of: 1, 2, 3, 4."),
    ]


# --- Management commands ------------------------------------------------------------------------------


@pytest.fixture
def write_csv(tmp_path):
    def write(header, *rows):
        path = tmp_path / "import.csv"
        path.write_bytes(csv_bytes(header, *rows))
        return str(path)

    return write


def test_import_accounts_command_prints_the_count(org, leader, write_csv):
    path = write_csv(ACCOUNT_HEADER, f"A SAS,,,,{org.rm_a1.email},,", f"B SAS,,,,{org.rm_a1.email},,")
    out = StringIO()
    call_command("import_accounts", path, "--as", leader.email, stdout=out)
    assert out.getvalue().strip() == "2 accounts imported."
    assert Account.objects.filter(owner=org.rm_a1).count() == 2


def test_import_command_failure_prints_the_report_and_exits_with_status_1(org, leader, write_csv):
    path = write_csv(ACCOUNT_HEADER, f"A SAS,,12,5k,{org.rm_a1.email},,", f"B SAS,,,,{org.rm_b1.email},,")
    err = StringIO()
    with pytest.raises(CommandError, match=r"Nothing was imported\.") as raised:
        call_command("import_accounts", path, "--as", leader.email, stderr=err)
    assert raised.value.returncode == 1
    report = err.getvalue().splitlines()
    assert report[0].split() == ["Row", "Line", "Column", "Problem"]
    assert report[1].split()[:3] == ["1", "2", "employees"]
    assert report[2].split()[:3] == ["2", "3", "owner_email"]
    assert "Unknown owner" in report[2]
    assert Account.objects.count() == 0


def test_import_command_runs_as_the_first_superuser_by_default(org, write_csv):
    path = write_csv(ACCOUNT_HEADER, f"A SAS,,,,{org.rm_b1.email},,")
    call_command("import_accounts", path, stdout=StringIO())
    assert Account.objects.get().history.get().history_user == org.admin


def test_import_command_dry_run_writes_nothing(org, write_csv):
    path = write_csv(ACCOUNT_HEADER, f"A SAS,,,,{org.rm_b1.email},,")
    out = StringIO()
    call_command("import_accounts", path, "--dry-run", stdout=out)
    assert "1 account would be created. Nothing was written." in out.getvalue()
    assert Account.objects.count() == 0


def test_import_contacts_command(org, acme, write_csv):
    path = write_csv(CONTACT_HEADER, "Acme SAS,Claire Dubois,CFO,1,yes")
    out = StringIO()
    call_command("import_contacts", path, "--as", org.director_a.email, stdout=out)
    assert out.getvalue().strip() == "1 contact imported."
    assert acme.contacts.get().name == "Claire Dubois"


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("rm", "may not import: only team leaders, directors and administrators may."),
        ("nobody@bank.example", "No active user has the e-mail address nobody@bank.example."),
    ],
)
def test_import_command_refuses_users_who_may_not_import(org, write_csv, email, message):
    path = write_csv(ACCOUNT_HEADER, f"A SAS,,,,{org.rm_a1.email},,")
    with pytest.raises(CommandError, match=message):
        call_command("import_accounts", path, "--as", org.rm_a1.email if email == "rm" else email)


def test_import_command_names_a_missing_file(org):
    with pytest.raises(CommandError, match=r"Cannot read /nowhere/file\.csv"):
        call_command("import_accounts", "/nowhere/file.csv")


# --- The page -----------------------------------------------------------------------------------------


def upload(client, kind, content, name="import.csv"):
    return client.post(
        reverse("targeting:import"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def after_import_url():
    try:
        return reverse("targeting:account-list")
    except NoReverseMatch:
        return reverse("targeting:import")


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("targeting:import"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_rm_may_not_import(rm_client, org):
    assert rm_client.get(reverse("targeting:import")).status_code == 403
    content = csv_bytes(ACCOUNT_HEADER, f"A SAS,,,,{org.rm_a1.email},,")
    assert upload(rm_client, "accounts", content).status_code == 403
    assert rm_client.get(reverse("targeting:import-template", args=["accounts"])).status_code == 403
    assert Account.objects.count() == 0


@pytest.mark.parametrize("who", ["leader_client", "director_client", "admin_client"])
def test_leaders_directors_and_admins_see_the_import_page_with_both_kinds(request, who):
    response = request.getfixturevalue(who).get(reverse("targeting:import"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("targeting:import-template", args=["accounts"]) in page
    assert reverse("targeting:import-template", args=["contacts"]) in page
    assert "owner_email" in page and "is_primary" in page


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("accounts", "legal_name,industry,annual_revenue,currency,employees,location,research_notes,"),
        ("contacts", "account,name,title,level,budget_authority,email,phone,is_primary"),
    ],
)
def test_the_template_csv_has_the_columns_of_its_kind(leader_client, kind, header):
    response = leader_client.get(reverse("targeting:import-template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{kind}-template.csv"'
    assert b"".join(response.streaming_content).decode().removeprefix("\ufeff").startswith(header)


def test_an_unknown_template_is_not_found(leader_client):
    assert leader_client.get(reverse("targeting:import-template", args=["sheep"])).status_code == 404


def test_a_good_upload_imports_and_says_how_many(leader_client, org):
    content = csv_bytes(ACCOUNT_HEADER, f"A SAS,,,,{org.rm_a1.email},,", f"B SAS,,,,{org.rm_a1.email},,")
    response = upload(leader_client, "accounts", content)
    assert response.status_code == 302
    assert response["Location"] == after_import_url()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 accounts imported."]
    assert Account.objects.count() == 2


def test_a_bad_upload_shows_every_problem_and_imports_nothing(leader_client, org, acme):
    content = csv_bytes(CONTACT_HEADER, "Acme SAS,Claire Dubois,,1,yes", "Nowhere SAS,Paul Martin,,9,")
    response = upload(leader_client, "contacts", content)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was imported: fix these rows and upload the file again." in page
    assert response.context["result"].errors == [
        RowError(2, 3, "account", "Unknown account “Nowhere SAS”."),
        RowError(2, 3, "level", "“9” is not one of: 1, 2, 3, 4."),
    ]
    assert "Unknown account “Nowhere SAS”." in page
    assert re.search(r'name="kind" value="contacts"[^>]* checked', page)  # the form keeps the kind
    assert Contact.objects.count() == 0


def test_a_file_level_problem_is_shown(leader_client):
    response = upload(leader_client, "accounts", "legal_name\nÉté SAS\n".encode("latin-1"))
    assert response.status_code == 400
    assert "The file is not UTF-8 encoded: save it as CSV UTF-8" in response.content.decode()


def test_an_upload_over_10_mb_is_refused(leader_client):
    response = upload(leader_client, "accounts", b"x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The file is 10.0\xa0MB; the limit is 10 MB. Split it into smaller files."
    ]


def test_the_browser_refuses_more_than_20000_rows(leader_client, org):
    # The import runs in the request: 20,000 rows stay well inside a web server's timeout.
    rows = "".join(f"Company {n},{org.rm_a1.email}\n" for n in range(20_001))
    response = upload(leader_client, "accounts", f"legal_name,owner_email\n{rows}".encode())
    assert response.status_code == 400
    assert response.context["result"].file_errors == [
        "The file has more than 20,000 rows: split it into smaller files."
    ]
    assert Account.objects.count() == 0
