"""Import activities from a CSV file: `manage.py import_activities FILE [--as EMAIL] [--dry-run]`."""

from kpis.importers import ActivityImport, KpiImportCommand


class Command(KpiImportCommand):
    help = (
        "Import conversations, appointments and proposals from a CSV file (external_id, owner_email, kind, "
        "first_appointment, account, contact, date, outcome, notes), all or nothing, as a leader, director or "
        "administrator whose visibility applies. Rows with an external_id already imported are updated."
    )
    spec = ActivityImport
