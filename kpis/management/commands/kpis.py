"""Print the five prospecting KPIs per RM, team, region or bank for a period, as a table, CSV or JSON."""

import csv
import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from kpis import selectors
from kpis.calculations import parse_period, rounded

COLUMNS = [
    "owner", "period", "conversations", "appointments", "first_appointments", "proposals", "won", "lost",
    "conversation_to_appointment", "first_appointment_to_proposal", "closing_ratio", "avg_revenue_per_sale",
    "won_revenue", "sales_cycle_mean_days", "sales_cycle_median_days",
]  # fmt: skip


def _number(value: Decimal | None, places: int):
    return None if value is None else float(rounded(value, places))


def kpi_record(row: selectors.FunnelRow) -> dict:
    """One JSON-ready row: counts as integers, ratios as fractions (4 places), money and days (2 places)."""
    f = row.funnel
    return {
        "owner": row.owner.label,
        "period": row.period.label,
        "conversations": f.conversations,
        "appointments": f.appointments,
        "first_appointments": f.first_appointments,
        "proposals": f.proposals,
        "won": f.won,
        "lost": f.lost,
        "conversation_to_appointment": _number(f.conversation_to_appointment, 4),
        "first_appointment_to_proposal": _number(f.first_appointment_to_proposal, 4),
        "closing_ratio": _number(f.closing_ratio, 4),
        "avg_revenue_per_sale": _number(f.avg_revenue_per_sale, 2),
        "won_revenue": _number(f.won_revenue, 2),
        "sales_cycle_mean_days": _number(f.sales_cycle_mean_days, 2),
        "sales_cycle_median_days": _number(f.cycle_days_median, 2),
    }


class Command(BaseCommand):
    help = (
        "The five prospecting KPIs (conversation-to-appointment, first-appointment-to-proposal, closing "
        "ratio, sales cycle, average revenue per sale) with their counts, per owner, for a period."
    )

    def add_arguments(self, parser):
        parser.add_argument("--by", choices=["rm", "team", "region", "bank"], default="rm")
        parser.add_argument("--period", help="2017, 2017-Q2 or 2017-05; all time when left out")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def handle(self, *args, by, period, format, **options):
        try:
            the_period = parse_period(period)
        except ValueError as error:
            raise CommandError(str(error)) from error
        records = [kpi_record(r) for r in selectors.funnel(scope=by, period=the_period, viewer=None)]
        if format == "json":
            self.stdout.write(json.dumps(records, indent=2, ensure_ascii=False))
        elif format == "csv":
            writer = csv.DictWriter(self.stdout, COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
        else:
            self._table(records)

    def _table(self, records):
        headers = ["owner", "conv", "appt", "1st", "prop", "won", "lost", "conv→appt", "1st→prop", "closing",
                   "avg/sale", "won revenue", "cycle mean", "cycle med"]  # fmt: skip
        keys = COLUMNS[:1] + COLUMNS[2:]
        lines = [[self._cell(r[k], k) for k in keys] for r in records]
        widths = [
            max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(headers)
        ]
        self.stdout.write(
            "  ".join(
                h.ljust(w) if i == 0 else h.rjust(w)
                for i, (h, w) in enumerate(zip(headers, widths, strict=True))
            )
        )
        for line in lines:
            self.stdout.write(
                "  ".join(
                    c.ljust(w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(line, widths, strict=True))
                )
            )
        if records:
            self.stdout.write(f"period: {records[0]['period']}")

    @staticmethod
    def _cell(value, key) -> str:
        if value is None:
            return "—"
        if key in ("conversation_to_appointment", "first_appointment_to_proposal", "closing_ratio"):
            return f"{value:.1%}"
        if isinstance(value, float):
            return f"{value:,.2f}"
        return str(value)
