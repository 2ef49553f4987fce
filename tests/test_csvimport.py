"""The all-or-nothing CSV import engine, on a small spec importing industries (one name, one size)."""

import io

import pytest
from django import forms
from django.utils import translation

from kpis.importers.base import IsoDateField
from kpis.models import Activity, ActivityKind
from salesplan.csvimport import (
    CREATED,
    ROW,
    SLOW,
    CodeChoiceField,
    Column,
    ImportSpec,
    RowError,
    RowForm,
    YesNoField,
    csv_import,
    model_field,
    quick,
    report_lines,
)
from targeting.models import Industry

pytestmark = pytest.mark.django_db


class IndustryRowForm(forms.ModelForm):
    size = forms.IntegerField(required=False, min_value=0)
    listed = YesNoField()

    class Meta:
        model = Industry
        fields = ["name"]


class IndustryImport(ImportSpec):
    form_class = IndustryRowForm
    columns = (Column("name", required=True), Column("size"), Column("listed"))

    def __init__(self, *, by):
        super().__init__(by=by)
        self.finished = False

    def check(self, form, *, row):
        name = form.cleaned_data.get("name")
        if name:
            self.seen.first(
                name.lower(),
                row,
                lambda first: form.add_error("name", f"Appears twice in the file (also row {first})."),
            )

    def save(self, form):
        form.save()
        return CREATED

    def finish(self):
        self.finished = True


class UncheckedRowForm(IndustryRowForm):
    def validate_unique(self):
        """Leave uniqueness to the database, to provoke an IntegrityError on save."""


class UncheckedImport(IndustryImport):
    form_class = UncheckedRowForm


def run(content, spec=IndustryImport, **kwargs):
    return csv_import(file=content, spec=spec, by=None, **kwargs)


# --- Encoding and file-level problems ------------------------------------------------------------------


def test_a_utf8_file_with_excel_bom_imports():
    result = run("\ufeffname,size\nÉnergie,3\nBâtiment,\n".encode())
    assert result.ok, result
    assert result.created == 2
    assert set(Industry.objects.values_list("name", flat=True)) == {"Énergie", "Bâtiment"}


def test_a_file_not_utf8_is_refused_with_the_line_of_the_first_bad_character():
    result = run("name\nChimie\nÉnergie\n".encode("cp1252"))
    assert not result.ok
    assert result.file_errors == [
        "The file is not UTF-8 encoded: save it as CSV UTF-8 "
        "(the first character that is not UTF-8 is on line 3)."
    ]
    assert Industry.objects.count() == 0


def test_an_excel_workbook_is_recognised_and_refused():
    result = run(b"PK\x03\x04\x14\x00\x06\x00binary")
    assert result.file_errors == [
        "This is a spreadsheet workbook, not a CSV file: save it as CSV UTF-8 and upload that."
    ]


@pytest.mark.parametrize("content", [b"", b"\n \n", "\ufeff".encode(), ""])
def test_an_empty_file_is_refused(content):
    assert run(content).file_errors == ["The file is empty."]


def test_a_header_without_rows_is_refused():
    assert run(b"name,size\n\n").file_errors == ["The file has a header line but no rows to import."]


def test_missing_required_columns_are_listed():
    result = run(b"size,listed\n3,yes\n")
    assert result.file_errors == ["Missing required columns: name."]
    assert result.errors == []


def test_unknown_columns_are_an_error_that_names_them_and_the_known_ones():
    result = run(b"name,colour,sise\nChimie,red,3\n")
    assert result.file_errors == [
        "Unknown columns: colour, sise. The columns of this file are: name, size, listed."
    ]
    assert Industry.objects.count() == 0


def test_a_column_given_twice_is_refused():
    assert run(b"name,size,Name\nChimie,3,Chimie\n").file_errors == [
        "These columns appear more than once: name."
    ]


def test_column_names_ignore_case_and_surrounding_spaces():
    result = run(b" Name , SIZE \nChimie,3\n")
    assert result.ok, result


def test_semicolon_separated_files_are_read():
    result = run("name;size;listed\nChimie;3;oui\nÉnergie;;\n".encode())
    assert result.ok, result
    assert result.created == 2


def test_a_comma_inside_quotes_does_not_split_a_semicolon_file():
    result = run(b'name;size\n"Banks, insurers";3\n')
    assert result.ok, result
    assert Industry.objects.get().name == "Banks, insurers"


def test_a_huge_field_is_refused_naming_its_line_and_column():
    result = run(("name,size\nChimie,1\n" + "x" * 10_001 + ",2\n").encode())
    assert result.file_errors == [
        "Line 3, column “name”: the value is longer than 10,000 characters. Is a quote left open?"
    ]


def test_a_quote_left_open_swallowing_the_file_is_reported():
    rows = "".join(f"Industry {n},{n}\n" for n in range(2_000))
    result = run(('name,size\n"Open quote,1\n' + rows).encode())
    assert not result.ok
    assert "Is a quote left open?" in result.file_errors[0]
    assert Industry.objects.count() == 0


def test_more_rows_than_the_limit_are_refused():
    content = "name\n" + "".join(f"Industry {n}\n" for n in range(4))
    assert run(content.encode(), max_rows=3).file_errors == [
        "The file has more than 3 rows: split it into smaller files."
    ]
    assert run(content.encode(), max_rows=4).ok


def test_every_line_ending_is_read_old_mac_included():
    # Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR; Windows with CR LF.
    for n, ending in enumerate(("\r", "\r\n", "\n")):
        content = ending.join(["name,size", f"Chimie {n},5", f"Énergie {n},", ""])
        result = run(content.encode())
        assert (result.ok, result.created, result.rows) == (True, 2, 2), (repr(ending), result)


def test_the_callers_file_is_left_open(tmp_path):
    path = tmp_path / "industries.csv"
    path.write_bytes(b"name\nChimie\n")
    with open(path, "rb") as handle:
        assert run(handle).created == 1
        assert not handle.closed


def test_a_text_stream_is_accepted_as_well_as_bytes():
    assert run(io.StringIO("name\nChimie\n")).created == 1
    assert run(io.BytesIO("name\nÉnergie\n".encode())).created == 1


# --- Rows ---------------------------------------------------------------------------------------------


def test_every_problem_of_every_row_is_reported_with_row_line_and_column():
    content = (
        "name,size,listed\n"
        "Chimie,3,yes\n"  # row 1, line 2: fine
        ",12.5,maybe\n"  # row 2, line 3: three problems
        "\n"  # row 3, line 4: empty, skipped
        '"Energy\nand utilities",-1,no\n'  # row 4, lines 5-6: a cell on two lines
        "chimie,,\n"  # row 5, line 7: the same name as row 1
    )
    result = run(content.encode())
    assert result.errors == [
        RowError(2, 3, "name", "This field is required."),
        RowError(2, 3, "size", "Enter a whole number."),
        RowError(2, 3, "listed", "Enter yes or no (or leave it empty for no)."),
        RowError(4, 5, "size", "Ensure this value is greater than or equal to 0."),
        RowError(5, 7, "name", "Appears twice in the file (also row 1)."),
    ]
    assert result.created == 0
    assert Industry.objects.count() == 0


def test_nothing_is_written_when_one_row_of_many_fails():
    content = "name,size\n" + "".join(f"Industry {n},{n}\n" for n in range(50)) + "Broken,lots\n"
    result = run(content.encode())
    assert result.errors == [RowError(51, 52, "size", "Enter a whole number.")]
    assert (result.created, Industry.objects.count()) == (0, 0)


def test_an_integrity_error_while_saving_rolls_back_every_row_and_names_the_row():
    Industry.objects.create(name="Chimie")
    content = "name\nÉnergie\nBâtiment\nChimie\nTransport\n"
    result = run(content.encode(), spec=UncheckedImport)
    assert not result.ok
    [error] = result.errors
    assert (error.row, error.line, error.column) == (3, 4, "")
    assert error.message.startswith("The database refused this row:")
    assert result.created == 0
    assert list(Industry.objects.values_list("name", flat=True)) == ["Chimie"]


class BatchImport(UncheckedImport):
    batch_size = 2

    def save_batch(self, row_forms):
        Industry.objects.bulk_create([form.instance for form in row_forms])
        return [CREATED] * len(row_forms)


def test_a_refused_batch_is_saved_again_row_by_row_to_name_the_row_then_everything_rolls_back():
    Industry.objects.create(name="Chimie")
    result = run(b"name\nEnergie\nBatiment\nTransport\nChimie\nBanque\n", spec=BatchImport)
    assert [(e.row, e.line) for e in result.errors] == [(4, 5)]
    assert result.created == 0
    assert list(Industry.objects.values_list("name", flat=True)) == ["Chimie"]


def test_batches_save_every_row():
    result = run(b"name\nEnergie\nBatiment\nTransport\n", spec=BatchImport)
    assert (result.ok, result.created, Industry.objects.count()) == (True, 3, 3)


def test_a_value_without_a_header_is_reported_on_its_row():
    result = run(b"name,size\nChimie,3\nEnergie,4,surprise\n")
    assert result.errors == [RowError(2, 3, "", "This row has a value in column 3, which has no header.")]
    assert Industry.objects.count() == 0


def test_trailing_empty_cells_without_a_header_are_harmless():
    assert run(b"name,size,,\nChimie,3,,\n").ok


def test_a_dry_run_counts_what_it_would_create_and_writes_nothing():
    result = run(b"name\nChimie\nEnergie\n", dry_run=True)
    assert result.ok
    assert (result.created, result.dry_run) == (2, True)
    assert Industry.objects.count() == 0


def test_a_dry_run_also_catches_what_only_saving_reveals():
    Industry.objects.create(name="Chimie")
    result = run(b"name\nChimie\n", spec=UncheckedImport, dry_run=True)
    assert not result.ok
    assert result.created == 0


def test_the_text_report_is_a_row_line_column_problem_table():
    result = run(b"name,size\nChimie,x\n,2\n")
    assert report_lines(result) == [
        "Row  Line  Column  Problem",
        "1    2     size    Enter a whole number.",
        "2    3     name    This field is required.",
    ]


# --- Cell fields ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [("yes", True), ("TRUE", True), ("1", True), ("oui", True), ("no", False), ("0", False), ("", False)],
)
def test_yes_no_cells(cell, value):
    assert YesNoField().clean(cell) is value


def test_a_yes_no_cell_refuses_anything_else():
    with pytest.raises(forms.ValidationError, match="Enter yes or no"):
        YesNoField().clean("perhaps")


def test_a_choice_cell_takes_the_code_or_the_label_in_any_case():
    field = CodeChoiceField(
        choices=[(1, "Owner / C-suite"), (2, "Senior executive")], coerce=int, required=False
    )
    assert field.clean("1") == 1
    assert field.clean("owner/c-suite") == 1
    assert field.clean("SENIOR_EXECUTIVE") == 2
    assert field.clean("") is None
    with pytest.raises(forms.ValidationError, match=r"“boss” is not one of: 1, 2\."):
        field.clean("boss")


def test_a_required_choice_cell_must_not_be_empty():
    field = CodeChoiceField(choices=[("a", "A")])
    with pytest.raises(forms.ValidationError, match=r"This field is required\."):
        field.clean("")


# --- The lean row form -------------------------------------------------------------------------------------

MIXED_CELLS = [
    None,
    "",
    " ",
    "plain",
    " padded ",
    "tab\tinside",
    "Energy",
    "energy",
    "ENERGY",
    "énergie",
    "x" * 64,
    "x" * 65,
    "x" * 10_001,
    "nul\x00byte",
    "yes",
    "Oui",
    "no",
    "0",
    "1",
    "maybe",
    "2026-03-10",
    "2026-02-30",
    "10/03/2026",
    "20260310",
    "2026-W10-2",
    " 2026-03-10",
    "appointment",
    "Appointment",
    "APPOINTMENT",
    "rendez-vous",
    "Rendez-vous",
    "first_appointment",
    "1054.25",
    "-3",
    "1e3",
]


def _quick_fields():
    return {
        "required text": forms.CharField(max_length=64),
        "optional text": forms.CharField(max_length=64, required=False),
        "text without limit": forms.CharField(required=False),
        "model text, null": model_field(Activity, "external_id"),
        "model text": model_field(Activity, "outcome"),
        "text with another rule": forms.CharField(required=False, validators=[lambda value: None]),
        "yes/no": YesNoField(),
        "required choice": CodeChoiceField(choices=ActivityKind.choices, required=True),
        "optional choice": CodeChoiceField(choices=ActivityKind.choices, required=False, empty_value="x"),
        "required day": IsoDateField(),
        "optional day": IsoDateField(required=False),
        "number": forms.DecimalField(max_digits=18, decimal_places=2, required=False),
    }


def _outcome(clean, value):
    try:
        return ("value", clean(value))
    except forms.ValidationError as error:
        return ("error", error.messages)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", list(_quick_fields()))
def test_a_quick_check_gives_what_the_fields_clean_gives_or_leaves_it_to_clean(name, language):
    """`RowForm` skips a field's machinery for a plainly valid cell: whatever the cell, the quick check
    answers exactly what the field's own clean() answers, or SLOW (then clean() decides and words it)."""
    field = _quick_fields()[name]
    fast = quick(field)
    with translation.override(language):
        for cell in MIXED_CELLS:
            answer = SLOW if fast is None else fast(cell)
            if answer is not SLOW:
                assert ("value", answer) == _outcome(field.clean, cell), (name, cell)
                assert type(answer) is type(field.clean(cell)), (name, cell)


def test_the_usual_cells_take_the_quick_path():
    fields = _quick_fields()
    usual = {
        "required text": "plain", "optional text": "", "model text, null": "", "model text": "Proposal asked",
        "yes/no": "Oui", "required choice": "Appointment", "required day": "2026-03-10", "optional day": "",
    }  # fmt: skip
    for name, cell in usual.items():
        assert quick(fields[name])(cell) is not SLOW, name
    assert quick(fields["text with another rule"]) is None  # a rule it does not know: always clean()
    assert quick(fields["number"]) is None


def test_a_row_form_cleans_like_a_django_form():
    """Fields (inherited too), then clean_<name>(), then clean(); a field in error leaves cleaned_data; a
    problem of the whole row is kept under the row."""

    class Base(RowForm):
        name = forms.CharField(max_length=10)

    class Row(Base):
        size = forms.IntegerField(min_value=0, required=False)

        def clean_name(self):
            return self.cleaned_data["name"].upper()

        def clean(self):
            if self.cleaned_data.get("size") == 13:
                raise forms.ValidationError("Unlucky row.")
            if self.cleaned_data.get("name") == "BAD":
                self.add_error("name", "Bad name.")

    assert list(Row.fields) == ["name", "size"]
    good = Row({"name": "acme", "size": "3"})
    assert good.is_valid() and good.cleaned_data == {"name": "ACME", "size": 3}
    bad = Row({"name": "bad", "size": "-1"})
    assert not bad.is_valid()
    assert bad.errors == {"size": ["Ensure this value is greater than or equal to 0."], "name": ["Bad name."]}
    assert bad.cleaned_data == {}
    unlucky = Row({"name": "x" * 11, "size": "13"})
    assert not unlucky.is_valid()
    assert unlucky.errors == {
        "name": ["Ensure this value has at most 10 characters (it has 11)."],
        ROW: ["Unlucky row."],
    }


def test_a_choice_cell_is_read_in_the_current_language_by_the_same_field_one_language_after_another():
    """The words every shipped language reads alike skip the language look-up; the others are still read
    in the current language, whichever came first."""
    field = CodeChoiceField(choices=ActivityKind.choices, required=True)
    fast = quick(field)
    for language, expected in (
        ("fr", ActivityKind.APPOINTMENT),
        ("en", SLOW),
        ("fr", ActivityKind.APPOINTMENT),
    ):
        with translation.override(language):
            assert fast("Rendez-vous") == expected, language
            assert fast("appointment") == fast("Appointment") == ActivityKind.APPOINTMENT
    with translation.override("en"), pytest.raises(forms.ValidationError):
        field.clean("Rendez-vous")
