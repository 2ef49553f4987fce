"""The metric catalogue every installation starts with (admins can change tolerances and add metrics)."""

from decimal import Decimal

from django.db import migrations

# code, name, kind, unit, direction, source, at risk, off track, product category, forecast of
CATALOGUE = [
    ("loans", "Loan balances", "balance", "money", "higher", "balance", "0.03", "0.08", "", ""),
    ("dda", "DDA deposit balances", "balance", "money", "higher", "balance", "0.03", "0.08", "", ""),
    ("hv-retention", "High-value client retention", "ratio", "percent", "higher", "retention", "0.01", "0.05", "", ""),
    ("new-clients", "New clients", "flow", "count", "higher", "new_clients", "0.10", "0.25", "", ""),
    ("won-revenue", "Won revenue", "flow", "money", "higher", "won_revenue", "0.05", "0.15", "", ""),
    ("conversations", "Conversations", "flow", "count", "higher", "conversations", "0.10", "0.25", "", ""),
    ("appointments", "Appointments", "flow", "count", "higher", "appointments", "0.10", "0.25", "", ""),
    ("first-appointments", "First appointments", "flow", "count", "higher", "first_appointments", "0.10", "0.25",
     "", ""),
    ("proposals", "Proposals", "flow", "count", "higher", "proposals", "0.10", "0.25", "", ""),
    ("wins", "Wins", "flow", "count", "higher", "wins", "0.10", "0.25", "", ""),
    ("mix-loans", "Product mix: loans", "ratio", "percent", "higher", "product_mix", "0.05", "0.15", "Loans", ""),
    ("mix-deposits", "Product mix: deposits", "ratio", "percent", "higher", "product_mix", "0.05", "0.15",
     "Deposits", ""),
    ("mix-cash", "Product mix: cash management", "ratio", "percent", "higher", "product_mix", "0.05", "0.15",
     "Cash management", ""),
    ("forecast-accuracy", "Forecast accuracy", "ratio", "percent", "higher", "forecast_accuracy", "0.05", "0.15",
     "", "won-revenue"),
]  # fmt: skip


def create(apps, schema_editor):
    Metric = apps.get_model("kpis", "Metric")
    for order, (code, name, kind, unit, direction, source, at_risk, off, category, forecast_of) in enumerate(
        CATALOGUE, start=1
    ):
        Metric.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "kind": kind, "unit": unit, "direction": direction, "source": source,
                "tolerance_at_risk": Decimal(at_risk), "tolerance_off_track": Decimal(off),
                "product_category": category, "display_order": order * 10,
                "forecast_metric": Metric.objects.get(code=forecast_of) if forecast_of else None,
            },
        )  # fmt: skip


def remove(apps, schema_editor):
    apps.get_model("kpis", "Metric").objects.filter(code__in=[row[0] for row in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("kpis", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
