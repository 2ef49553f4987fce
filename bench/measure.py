"""Measurements, each run in a child process against one database (see bench.db.child); each prints one
JSON line. `python -m bench.measure queries small|bank`, `python -m bench.measure plan-actual`,
`python -m bench.measure import activities|opportunities ROWS FILE`, `python -m bench.measure copy ... FILE`."""

import csv
import datetime
import json
import resource
import sys
import time

# Who looks at the pages: the first login per role of the demo organisation, and the bench's.
LOGINS = {
    "small": {"rm": "camille.martin@bank.example", "leader": "marc.lefevre@bank.example",
              "director": "helene.garnier@bank.example"},
    "bank": {"rm": "rm0001@bench.example", "leader": "leader001@bench.example",
             "director": "director1@bench.example"},
}  # fmt: skip
PAGES = [
    "/",
    "/kpis/dashboard/",
    "/targeting/accounts/",
    "/coaching/plans/review/",
    "/coaching/checkpoints/{pk}/",
]
IMPORTER = "director1@bench.example"  # sees region 1: rm0001 … rm0120
IMPORT_PREFIX = "BENCH-IMPORT-"


def query_counts(size: str) -> dict:
    """SQL queries per page and role, counted on the second request (the first warms the caches)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from coaching.models import Checkpoint, CheckpointStatus

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    users = {role: User.objects.get(email=email) for role, email in LOGINS[size].items()}
    held = Checkpoint.objects.filter(status=CheckpointStatus.HELD).order_by("-scheduled_at")
    checkpoint = held.filter(rm=users["rm"]).first() or held.filter(leader=users["leader"]).first()
    if checkpoint is not None:  # the RM of a meeting the leader held, when the first RM has none
        users["rm"] = checkpoint.rm
    result = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        for page in PAGES:
            url = page.format(pk=checkpoint.pk if checkpoint else 0)
            response = client.get(url, follow=True)
            final = response.redirect_chain[-1][0] if response.redirect_chain else url
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(final)
            result[f"{role} {page}"] = {
                "user": user.email,
                "final": final,
                "status": response.status_code,
                "queries": len(ctx),
            }
    return result


def plan_actual() -> dict:
    """The month-end plan-versus-actual run for the latest closed month, against one hand-written SQL
    aggregate of the same per-RM figures (activities by kind, won revenue, month-end loan balances)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kpis import services
    from kpis.calculations import month_end
    from kpis.selectors import latest_closed_month

    year, month = latest_closed_month(timezone.localdate())
    end = month_end(year, month)
    start = datetime.date(year, 1, 1)
    runs = []
    for _i in range(2):
        began = time.perf_counter()
        rows = services.plan_actual_store(year=year, month=month, now=timezone.now())
        runs.append(time.perf_counter() - began)
    floor_sql = """
        WITH acts AS (
            SELECT owner_id, COUNT(*) FILTER (WHERE kind = 'conversation') AS conversations,
                   COUNT(*) FILTER (WHERE kind = 'appointment') AS appointments,
                   COUNT(*) FILTER (WHERE is_first_appointment) AS first_appointments,
                   COUNT(*) FILTER (WHERE kind = 'proposal') AS proposals
            FROM kpis_activity WHERE date BETWEEN %(start)s AND %(end)s GROUP BY owner_id),
        won AS (
            SELECT owner_id, SUM(value) AS won, COUNT(*) AS wins FROM kpis_opportunity
            WHERE stage = 'won' AND close_date BETWEEN %(start)s AND %(end)s GROUP BY owner_id),
        bal AS (
            SELECT a.owner_id, b.metric_id, SUM(b.balance) AS balance
            FROM kpis_balancesnapshot b JOIN targeting_account a ON a.id = b.account_id
            WHERE b.month_end = %(end)s GROUP BY a.owner_id, b.metric_id)
        SELECT u.id, acts.*, won.*, bal.* FROM accounts_user u
        LEFT JOIN acts ON acts.owner_id = u.id LEFT JOIN won ON won.owner_id = u.id
        LEFT JOIN bal ON bal.owner_id = u.id WHERE u.team_id IS NOT NULL
    """
    floors = []
    with transaction.atomic(), connection.cursor() as cursor:
        for _i in range(2):
            began = time.perf_counter()
            cursor.execute(floor_sql, {"start": start, "end": end})
            floor_rows = len(cursor.fetchall())
            floors.append(time.perf_counter() - began)
    best, floor = min(runs), min(floors)
    return {
        "month": f"{year}-{month:02d}", "rows_stored": rows, "seconds": round(best, 2),
        "floor_rows": floor_rows, "floor_seconds": round(floor, 3), "ratio": round(best / floor, 1),
    }  # fmt: skip


def write_import_file(kind: str, rows: int, path: str) -> None:
    """An import file in the kpis layout for RMs director1 may change, naming their own accounts."""
    from django.utils import timezone

    from accounts.models import User
    from kpis.models import Product
    from targeting.models import Account

    rms = list(User.objects.filter(team__region__director__email=IMPORTER).order_by("pk"))
    names = {}
    for owner_id, name in Account.objects.filter(owner__in=rms).values_list("owner_id", "legal_name"):
        names.setdefault(owner_id, []).append(name)
    products = list(Product.objects.values_list("name", flat=True))
    today = timezone.localdate()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        if kind == "activities":
            out.writerow(["external_id", "owner_email", "kind", "first_appointment", "account", "contact", "date",
                          "outcome", "notes"])  # fmt: skip
        else:
            out.writerow(["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date",
                          "close_date", "close_value"])  # fmt: skip
        for i in range(rows):
            rm = rms[i % len(rms)]
            account = names[rm.pk][(i // len(rms)) % len(names[rm.pk])]
            day = today - datetime.timedelta(days=1 + i % 300)
            if kind == "activities":
                kind_ = ("conversation", "appointment", "proposal")[i % 3]
                out.writerow([f"{IMPORT_PREFIX}{i}", rm.email, kind_, "yes" if i % 6 == 1 else "no", account, "",
                              day.isoformat(), "Échange sur le financement", ""])  # fmt: skip
            else:
                stage = ("Won", "Lost", "Engaging", "Prospecting")[i % 4]
                closed = stage in ("Won", "Lost")
                out.writerow([f"{IMPORT_PREFIX}{i}", rm.display_name, products[i % len(products)], account, stage,
                              (day - datetime.timedelta(days=30)).isoformat() if stage != "Prospecting" else "",
                              day.isoformat() if closed else "",
                              (1000 + i % 50 * 100) if stage == "Won" else (0 if stage == "Lost" else "")])  # fmt: skip


def run_import(kind: str, path: str, rows: int) -> dict:
    """Import the file with the management command, then remove what it wrote."""
    from django.core.management import call_command
    from django.db import connection

    from kpis.models import Activity, Opportunity

    command = "import_activities" if kind == "activities" else "import_opportunities"
    sql = {"queries": 0, "seconds": 0.0}

    def timed(execute, query, params, many, context):  # where the time goes: SQL, or Python around it
        began = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql["queries"] += 1
            sql["seconds"] += time.perf_counter() - began

    began = time.perf_counter()
    with connection.execute_wrapper(timed):
        call_command(command, path, as_email=IMPORTER, dry_run=False, stdout=sys.stderr)
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model = Activity if kind == "activities" else Opportunity
    model.objects.filter(external_id__startswith=IMPORT_PREFIX).delete()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
            "peak_rss_mb": round(peak_mb, 1), "sql_queries": sql["queries"],
            "sql_seconds": round(sql["seconds"], 2)}  # fmt: skip


def copy_floor(path: str, rows: int) -> dict:
    """PostgreSQL COPY of the same file into a scratch table with one column per CSV column."""
    from django.db import connection, transaction

    with open(path, encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f'"{name}" text' for name in header)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_scratch ({columns}) ON COMMIT DROP")
        began = time.perf_counter()
        with open(path, encoding="utf-8") as handle:
            cursor.cursor.copy_expert("COPY bench_scratch FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
        seconds = time.perf_counter() - began
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_second": round(rows / seconds)}


def main(argv: list[str]) -> dict:
    what = argv[0]
    if what == "queries":
        return query_counts(argv[1])
    if what == "plan-actual":
        return plan_actual()
    if what == "write":
        write_import_file(argv[1], int(argv[2]), argv[3])
        return {"written": int(argv[2])}
    if what == "import":
        return run_import(argv[1], argv[3], int(argv[2]))
    if what == "copy":
        return copy_floor(argv[3], int(argv[2]))
    raise SystemExit(f"unknown measurement {what}")


if __name__ == "__main__":
    from bench.db import django_setup

    django_setup()
    print(json.dumps(main(sys.argv[1:])))
