"""Import accounts from a CSV file: `manage.py import_accounts FILE [--as EMAIL] [--dry-run]`."""

from salesplan.csvimport import ImportCommand
from targeting.importers import AccountImport, can_import


class Command(ImportCommand):
    help = (
        "Create accounts from a CSV file (columns as on the import page), all or nothing, as a leader, "
        "director or administrator whose visibility applies."
    )
    spec = AccountImport

    def can_import(self, user) -> bool:
        return can_import(user)
