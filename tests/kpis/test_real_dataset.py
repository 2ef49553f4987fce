"""The real CRM data set (Maven Analytics' "CRM Sales Opportunities", ../shared/data/crm-sales-opportunities/)
goes through `import_opportunities` and the `kpis` command gives the figures the files give.

Hard numbers were worked out once from the files, outside our code:
    tr -d '\\r' < sales_pipeline.csv | awk -F, 'NR>1 && $5=="Won" {n++; s+=$8} END {print n, s}'
        → 4238 10005534 (the bank's won deals and won revenue)
    ... | awk -F, 'NR>1 && $2=="Darcel Schlecht" && $5=="Won" {n++; s+=$8} END {print n, s}'
        → 349 1153214
and the counts of people from sales_teams.csv (35 agents, 6 managers, 3 regional offices), matching
SOURCE.md. The closing ratios and the median sales cycle are computed in the tests below from the CSV
with the csv module, independently of the importer and of the KPI selectors.
"""

import csv
import datetime
import json
import statistics
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Region, Role, Team, User
from kpis.models import Opportunity, Product, StageChange
from targeting.models import Account
from tests.conftest import require
from tests.factories.accounts import AdminFactory

pytestmark = pytest.mark.django_db

DATA = settings.BASE_DIR.parent / "shared" / "data" / "crm-sales-opportunities"
PIPELINE, TEAMS = DATA / "sales_pipeline.csv", DATA / "sales_teams.csv"
AGENT, MANAGER = "Darcel Schlecht", "Melvin Marxen"


@pytest.fixture
def dataset():
    require(PIPELINE.exists() and TEAMS.exists(), f"the CRM data set in {DATA}")
    return AdminFactory(display_name="Importer")


def import_dataset() -> tuple[str, float]:
    out = StringIO()
    started = time.monotonic()
    call_command("import_opportunities", str(PIPELINE), "--teams", str(TEAMS), stdout=out)
    return out.getvalue(), time.monotonic() - started


def kpis(by: str, period: str | None = None) -> dict[str, dict]:
    out = StringIO()
    call_command(
        "kpis", "--by", by, "--format", "json", *(["--period", period] if period else []), stdout=out
    )
    return {row["owner"]: row for row in json.loads(out.getvalue())}


def csv_rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def closing_ratio_from_csv(manager: str, start: str, end: str) -> float:
    """Won ÷ (won + lost) of a manager's agents' deals closed between two ISO days, from the files alone."""
    team = {row["sales_agent"] for row in csv_rows(TEAMS) if row["manager"] == manager}
    closed = [
        row["deal_stage"]
        for row in csv_rows(PIPELINE)
        if row["sales_agent"] in team
        and row["deal_stage"] in ("Won", "Lost")
        and start <= row["close_date"] <= end
    ]
    return round(closed.count("Won") / len(closed), 4)


def test_the_crm_dataset_imports_with_its_organisation_and_the_kpis_match_the_files(dataset):
    output, seconds = import_dataset()
    assert output.splitlines()[:2] == [
        "8,800 opportunities created, 0 updated, 0 unchanged.",
        "Teams file: 3 new regions, 6 new teams, 41 new people, 0 moved.",
    ]
    assert seconds < 30, f"the import took {seconds:.1f} s"  # about 3 s on an idle machine
    assert Opportunity.objects.count() == 8800
    assert User.objects.with_role(Role.RM).count() == 35
    assert User.objects.with_role(Role.LEADER).count() == 6
    assert (Team.objects.count(), Region.objects.count()) == (6, 3)
    assert Product.objects.count() == 7  # the pipeline's own spelling: "GTXPro" is a product of its own
    assert Account.objects.exclude(legal_name__startswith="Unnamed account (").count() == 85
    assert Opportunity.objects.filter(account__legal_name__startswith="Unnamed account (").count() == 1425
    assert dict(Opportunity.objects.order_by().values_list("stage").annotate(n=Count("pk"))) == {
        "prospecting": 500,
        "engaging": 1589,
        "won": 4238,
        "lost": 2473,
    }

    by_rm, bank = kpis("rm"), kpis("bank")["Bank"]
    assert (by_rm[AGENT]["won"], by_rm[AGENT]["won_revenue"]) == (349, 1153214.0)
    assert (bank["won"], bank["lost"], bank["won_revenue"]) == (4238, 2473, 10005534.0)

    team = f"{MANAGER} team ({MANAGER})"
    assert kpis("team", "2017")[team]["closing_ratio"] == closing_ratio_from_csv(
        MANAGER, "2017-01-01", "2017-12-31"
    )
    assert kpis("team", "2017-Q2")[team]["closing_ratio"] == closing_ratio_from_csv(
        MANAGER, "2017-04-01", "2017-06-30"
    )
    assert closing_ratio_from_csv(MANAGER, "2017-01-01", "2017-12-31") == 0.622  # 882 won of 1,418 closed

    cycles = [
        (datetime.date.fromisoformat(r["close_date"]) - datetime.date.fromisoformat(r["engage_date"])).days
        for r in csv_rows(PIPELINE)
        if r["sales_agent"] == AGENT and r["deal_stage"] == "Won"
    ]
    assert by_rm[AGENT]["sales_cycle_median_days"] == float(statistics.median(cycles)) == 48.0


def test_importing_the_crm_dataset_again_changes_nothing(dataset):
    import_dataset()
    models = (Opportunity, Account, Product, StageChange, User, Team, Region)
    counts = {model: model.objects.count() for model in models}
    deals = list(Opportunity.objects.order_by("pk").values())
    output, _seconds = import_dataset()
    assert output.splitlines()[:3] == [
        "0 opportunities created, 0 updated, 8,800 unchanged.",
        "Teams file: 0 new regions, 0 new teams, 0 new people, 0 moved.",
        "0 new accounts, 0 new products, 0 stage changes recorded.",
    ]
    assert {model: model.objects.count() for model in models} == counts
    assert list(Opportunity.objects.order_by("pk").values()) == deals, (
        "no deal rewritten (updated_at unchanged)"
    )
