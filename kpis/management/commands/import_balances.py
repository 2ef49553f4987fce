"""Import month-end balances from a CSV file: `manage.py import_balances FILE [--as EMAIL] [--dry-run]`."""

from kpis.importers import BalanceImport, KpiImportCommand


class Command(KpiImportCommand):
    help = (
        "Import month-end balances from a CSV file (account, metric, month_end, balance), all or nothing, as "
        "a leader, director or administrator whose visibility applies. A balance already there for the same "
        "account, metric and month end is replaced."
    )
    spec = BalanceImport
