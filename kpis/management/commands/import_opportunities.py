"""Import a CRM pipeline: `manage.py import_opportunities PIPELINE.csv [--teams TEAMS.csv] [--as EMAIL]
[--dry-run]`. The layout is Maven Analytics' "CRM Sales Opportunities" (see kpis/importers.py)."""

import time

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from kpis.importers import PipelineImport, pipeline_import, pipeline_summary
from salesplan.csvimport import ImportCommand, report_lines
from targeting.importers import can_import


class Command(ImportCommand):
    help = (
        "Import opportunities from a CRM pipeline file (opportunity_id, sales_agent, product, account, "
        "deal_stage, engage_date, close_date, close_value) and, with --teams, the teams file (sales_agent, "
        "manager, regional_office) that creates the regions, teams and people: both files or nothing. "
        "Importing the same files again changes nothing."
    )
    spec = PipelineImport

    def can_import(self, user) -> bool:
        return can_import(user)

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--teams",
            metavar="TEAMS.csv",
            help="the CRM's teams file: sales_agent, manager, regional_office (administrators only)",
        )

    def handle(self, *args, file: str, teams: str | None, as_email: str | None, dry_run: bool, **options):
        user = self.importing_user(as_email)
        started = time.monotonic()
        try:
            with open(file, "rb") as pipeline_handle:
                pipeline = pipeline_handle.read()
            teams_content = None
            if teams:
                with open(teams, "rb") as teams_handle:
                    teams_content = teams_handle.read()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": exc.filename, "error": exc.strerror}
            ) from exc
        try:
            result = pipeline_import(pipeline=pipeline, teams=teams_content, by=user, dry_run=dry_run)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            for name, part in ((teams, result.teams), (file, result.pipeline)):
                if part is not None and not part.ok:
                    self.stderr.write(f"{name}:")
                    for line in report_lines(part):
                        self.stderr.write(line)
            raise CommandError(_("Nothing was imported."))
        lines = pipeline_summary(result)
        if dry_run:
            lines.append(_("Dry run: the files are valid; nothing was written."))
        else:
            lines.append(f"({time.monotonic() - started:.1f} s)")
        for line in lines:
            self.stdout.write(line)
