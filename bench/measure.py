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
# The administrator's pages: the main ones and the lists that grow with the whole bank.
ADMIN_PAGES = [
    "/", "/kpis/dashboard/", "/targeting/accounts/", "/coaching/plans/review/", "/kpis/", "/kpis/targets/",
    "/kpis/standards/", "/kpis/opportunities/", "/kpis/activities/", "/coaching/checkpoints/",
]  # fmt: skip
IMPORTER = "director1@bench.example"  # sees region 1: rm0001 … rm0120
IMPORT_PREFIX = "BENCH-IMPORT-"
FLOOR_TRIES = 3  # COPY of what an import stored, timed this many times (the best counts)


class SqlTimer:
    """A `connection.execute_wrapper` that counts the SQL statements run through it and adds up their time."""

    def __init__(self) -> None:
        self.queries, self.seconds = 0, 0.0

    def __call__(self, execute, query, params, many, context):
        began = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            self.queries += 1
            self.seconds += time.perf_counter() - began


def _page_users(size: str) -> tuple[dict, object]:
    """Who looks at the pages, by role, and the meeting page's checkpoint (one the RM had)."""
    from accounts.models import User
    from coaching.models import Checkpoint, CheckpointStatus

    users = {role: User.objects.get(email=email) for role, email in LOGINS[size].items()}
    held = Checkpoint.objects.filter(status=CheckpointStatus.HELD).order_by("-scheduled_at")
    checkpoint = held.filter(rm=users["rm"]).first() or held.filter(leader=users["leader"]).first()
    if checkpoint is not None:  # the RM of a meeting the leader held, when the first RM has none
        users["rm"] = checkpoint.rm
    return users, checkpoint


def query_counts(size: str) -> dict:
    """SQL queries per page and role, counted on the second request (the first warms the caches)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    users, checkpoint = _page_users(size)
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


def page_times() -> dict:
    """Each page's own time at bank scale, in process, one request at a time (best of five after a warm-up,
    DEBUG off, cached templates): the whole request, the part spent in SQL statements and the rest (Python:
    the view, the forms, the templates), beside the floor page's. Where a page's time goes, without the
    load test's contention for the machine's cores."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client

    from accounts.models import User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Static files by name (no manifest): the bench does not collect them for this child.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    users, checkpoint = _page_users("bank")

    def time_pages(role: str, user, pages: list[str]) -> None:
        client = Client()
        client.force_login(user)
        for page in ["/floor/", *pages]:
            url = page.format(pk=checkpoint.pk if checkpoint else 0)
            response = client.get(url, follow=True, secure=True)
            final = response.redirect_chain[-1][0] if response.redirect_chain else url
            if response.status_code != 200:
                continue  # the RM's refused review board: nothing to time
            best = None
            for _i in range(5):
                sql = SqlTimer()
                with connection.execute_wrapper(sql):
                    began = time.perf_counter()
                    client.get(final, secure=True)
                    total = time.perf_counter() - began
                if best is None or total < best[0]:
                    best = (total, sql.seconds, sql.queries)
            result[f"{role} {page}"] = {
                "ms": round(best[0] * 1000, 1), "sql_ms": round(best[1] * 1000, 1), "queries": best[2],
                "python_ms": round((best[0] - best[1]) * 1000, 1),
            }  # fmt: skip

    result = {}
    for role, user in users.items():
        time_pages(role, user, PAGES)
    # The administrator sees the whole bank: the lists that grow with it, with an administrator made for the
    # measure and rolled back with it (the generated bank has none).
    with transaction.atomic():
        admin = User.objects.create_superuser(
            email="bench-admin@bench.example", password=None, display_name="Bench administrator"
        )
        time_pages("admin", admin, ADMIN_PAGES)
        transaction.set_rollback(True)
    return result


# The floor: the same actuals as the month-end run (every active metric of the catalogue, for every RM,
# team, region and the bank), by one hand-written SQL statement. Activities by kind; won deals with the
# product mixes' parts; accounts for new clients and high-value retention; each balance metric at its
# latest month end; the forecasts; then GROUPING SETS roll the people up to teams, regions and the bank,
# with the ratios taken over the sums. Targets (plans) are not part of it: they are a few thousand rows.
FLOOR_SQL = """
WITH acts AS (
    SELECT owner_id, COUNT(*) FILTER (WHERE kind = 'conversation') AS conversations,
           COUNT(*) FILTER (WHERE kind = 'appointment') AS appointments,
           COUNT(*) FILTER (WHERE kind = 'appointment' AND is_first_appointment) AS first_appointments,
           COUNT(*) FILTER (WHERE kind = 'proposal') AS proposals
    FROM kpis_activity WHERE date BETWEEN %(start)s AND %(end)s GROUP BY owner_id),
won AS (
    SELECT o.owner_id, COUNT(*) AS wins, SUM(o.value) AS revenue,
           SUM(o.value) FILTER (WHERE p.category = %(mix1)s) AS mix1,
           SUM(o.value) FILTER (WHERE p.category = %(mix2)s) AS mix2,
           SUM(o.value) FILTER (WHERE p.category = %(mix3)s) AS mix3
    FROM kpis_opportunity o LEFT JOIN kpis_product p ON p.id = o.product_id
    WHERE o.stage = 'won' AND o.close_date BETWEEN %(start)s AND %(end)s GROUP BY o.owner_id),
accs AS (
    SELECT owner_id, COUNT(*) FILTER (WHERE client_since BETWEEN %(start)s AND %(end)s) AS new_clients,
           COUNT(*) FILTER (WHERE is_high_value AND client_since <= %(start)s
                            AND (client_until IS NULL OR client_until > %(start)s)) AS base,
           COUNT(*) FILTER (WHERE is_high_value AND client_since <= %(start)s
                            AND (client_until IS NULL OR client_until > %(end)s)) AS kept
    FROM targeting_account GROUP BY owner_id),
bal AS (
    SELECT a.owner_id, SUM(b.balance) FILTER (WHERE b.metric_id = %(bal1)s) AS bal1,
           SUM(b.balance) FILTER (WHERE b.metric_id = %(bal2)s) AS bal2
    FROM kpis_balancesnapshot b JOIN targeting_account a ON a.id = b.account_id
    WHERE (b.metric_id = %(bal1)s AND b.month_end = (SELECT MAX(month_end) FROM kpis_balancesnapshot
                                                     WHERE metric_id = %(bal1)s AND month_end <= %(end)s))
       OR (b.metric_id = %(bal2)s AND b.month_end = (SELECT MAX(month_end) FROM kpis_balancesnapshot
                                                     WHERE metric_id = %(bal2)s AND month_end <= %(end)s))
    GROUP BY a.owner_id),
fc AS (
    SELECT owner_id, SUM(value) AS forecast FROM kpis_forecast
    WHERE metric_id = %(forecast)s AND month BETWEEN %(start)s AND %(end)s GROUP BY owner_id)
SELECT u.id, u.team_id, t.region_id,
       SUM(acts.conversations), SUM(acts.appointments), SUM(acts.first_appointments), SUM(acts.proposals),
       SUM(won.wins), SUM(won.revenue), SUM(accs.new_clients), SUM(bal.bal1), SUM(bal.bal2),
       SUM(accs.kept)::numeric / NULLIF(SUM(accs.base), 0),
       SUM(won.mix1) / NULLIF(SUM(won.revenue), 0), SUM(won.mix2) / NULLIF(SUM(won.revenue), 0),
       SUM(won.mix3) / NULLIF(SUM(won.revenue), 0),
       GREATEST(0, 1 - ABS(COALESCE(SUM(won.revenue), 0) - SUM(fc.forecast)) / NULLIF(SUM(fc.forecast), 0))
FROM accounts_user u LEFT JOIN accounts_team t ON t.id = u.team_id
LEFT JOIN acts ON acts.owner_id = u.id LEFT JOIN won ON won.owner_id = u.id
LEFT JOIN accs ON accs.owner_id = u.id LEFT JOIN bal ON bal.owner_id = u.id LEFT JOIN fc ON fc.owner_id = u.id
GROUP BY GROUPING SETS ((u.id, u.team_id, t.region_id), (u.team_id, t.region_id), (t.region_id), ())
"""


def _floor_params(start, end) -> dict:
    from kpis.models import Metric, MetricSource

    active = Metric.objects.filter(is_active=True)
    mixes = list(active.filter(source=MetricSource.PRODUCT_MIX).values_list("product_category", flat=True))
    balances = list(active.filter(source=MetricSource.BALANCE).values_list("pk", flat=True))
    accuracy = active.filter(source=MetricSource.FORECAST_ACCURACY).values_list("forecast_metric", flat=True)
    others = set(active.values_list("source", flat=True)) - {
        "conversations", "appointments", "first_appointments", "proposals", "wins", "won_revenue",
        "new_clients", "retention", "product_mix", "balance", "forecast_accuracy",
    }  # fmt: skip
    if len(mixes) != 3 or len(balances) != 2 or len(accuracy) != 1 or others:
        raise SystemExit("the floor statement is written for the demo catalogue of metrics")
    return {"start": start, "end": end, "mix1": mixes[0], "mix2": mixes[1], "mix3": mixes[2],
            "bal1": balances[0], "bal2": balances[1], "forecast": accuracy[0]}  # fmt: skip


def plan_actual() -> dict:
    """The month-end plan-versus-actual run for the latest closed month, as it happens at month end (the
    month not stored yet), and run again (every row replaced); against FLOOR_SQL, the same figures by one
    hand-written statement."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kpis import selectors, services
    from kpis.calculations import month_end
    from kpis.models import PlanActual
    from kpis.selectors import latest_closed_month

    year, month = latest_closed_month(timezone.localdate())
    end = month_end(year, month)
    start = datetime.date(year, 1, 1)
    firsts, agains, figures, writes = [], [], [], []
    for _i in range(3):
        began = time.perf_counter()
        by_scope = selectors.plan_vs_actual_scopes(
            scopes=selectors.SCOPES, year=year, month=month, viewer=None
        )
        figures.append(time.perf_counter() - began)
        PlanActual.objects.filter(year=year, month=month).delete()
        began = time.perf_counter()
        services.plan_actual_write(by_scope=by_scope, year=year, month=month, now=timezone.now())
        writes.append(time.perf_counter() - began)
        PlanActual.objects.filter(year=year, month=month).delete()
        began = time.perf_counter()
        rows = services.plan_actual_store(year=year, month=month, now=timezone.now())
        firsts.append(time.perf_counter() - began)
        began = time.perf_counter()
        services.plan_actual_store(year=year, month=month, now=timezone.now())
        agains.append(time.perf_counter() - began)
    params = _floor_params(start, end)
    floors = []
    with transaction.atomic(), connection.cursor() as cursor:
        for _i in range(3):
            began = time.perf_counter()
            cursor.execute(FLOOR_SQL, params)
            floor_rows = len(cursor.fetchall())
            floors.append(time.perf_counter() - began)
    first, again, floor, computed = min(firsts), min(agains), min(floors), min(figures)
    storing = _copy_month_back(year, month)
    return {
        "month": f"{year}-{month:02d}", "rows_stored": rows, "seconds": round(first, 3),
        "again_seconds": round(again, 3), "figures_seconds": round(computed, 3), "floor_rows": floor_rows,
        "floor_seconds": round(floor, 3), "ratio": round(first / floor, 2), "again_ratio": round(again / floor, 2),
        "figures_ratio": round(computed / floor, 2), "storing_floor_seconds": storing,
        "writing_seconds": round(min(writes), 3),
        "floor_and_storing_ratio": round((floor + storing) / floor, 2),
    }  # fmt: skip


def _copy_month_back(year: int, month: int) -> float:
    """The least that storing the month-end rows costs: the rows just stored, COPYed out, deleted and COPYed
    back into kpis_planactual (its unique index, foreign key and commit), best of three."""
    import io

    from django.db import connection, transaction

    from kpis.models import PlanActual

    meta = PlanActual._meta
    columns = ", ".join(
        connection.ops.quote_name(f.column) for f in meta.concrete_fields if not f.primary_key
    )
    data = io.StringIO()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            cursor.cursor.mogrify(
                f"COPY (SELECT {columns} FROM {meta.db_table} WHERE year = %s AND month = %s) TO STDOUT",  # noqa: S608 - model names
                [year, month],
            ).decode(),
            data,
        )
    seconds = []
    for _i in range(3):
        PlanActual.objects.filter(year=year, month=month).delete()
        data.seek(0)
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {meta.db_table} ({columns}) FROM STDIN", data)
        seconds.append(time.perf_counter() - began)
    return round(min(seconds), 3)


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
    sql = SqlTimer()  # where the time goes: SQL, or Python around it
    began = time.perf_counter()
    with connection.execute_wrapper(sql):
        call_command(command, path, as_email=IMPORTER, dry_run=False, stdout=sys.stderr)
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model = Activity if kind == "activities" else Opportunity
    table_copy = _copy_into_table(model)
    model.objects.filter(external_id__startswith=IMPORT_PREFIX).delete()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
            "peak_rss_mb": round(peak_mb, 1), "sql_queries": sql.queries,
            "sql_seconds": round(sql.seconds, 2), "table_copy": table_copy}  # fmt: skip


def _copy_into_table(model) -> dict:
    """A second floor: what the import stored, COPYed out, deleted and COPYed back into the model's own
    table (its indexes, constraints and deferred foreign-key checks, committed): what storing these rows
    costs the database itself, whoever validates them. For opportunities that is the deals and the stage
    history the import wrote with them."""
    import io

    from django.db import connection, transaction

    from kpis.models import StageChange

    mine = model.objects.filter(external_id__startswith=IMPORT_PREFIX)
    rows = mine.count()
    tables = [(model, mine)]
    if model.__name__ == "Opportunity":  # the stage history goes first (it points to the deals)
        tables.insert(0, (StageChange, StageChange.objects.filter(opportunity__in=mine)))
    copied = []
    with connection.cursor() as cursor:
        for table_model, queryset in tables:
            table = table_model._meta.db_table
            columns = ", ".join(
                connection.ops.quote_name(f.column) for f in table_model._meta.concrete_fields
            )
            select, params = queryset.values_list("pk").query.sql_with_params()
            data = io.StringIO()
            cursor.cursor.copy_expert(
                cursor.cursor.mogrify(
                    f"COPY (SELECT {columns} FROM {table} WHERE id IN ({select})) TO STDOUT",  # noqa: S608 - model names
                    params,
                ).decode(),
                data,
            )
            copied.append((table, columns, data))
    seconds = []
    for _ in range(FLOOR_TRIES):  # best of three: the floor as fast as this machine makes it
        for _model, queryset in tables:
            queryset.delete()
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for table, columns, data in reversed(copied):  # the deals before their history
                data.seek(0)
                cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", data)
        seconds.append(time.perf_counter() - began)
    for _model, queryset in tables:
        queryset.delete()
    best = min(seconds)
    return {
        "rows": rows,
        "seconds": round(best, 3),
        "rows_per_second": round(rows / best),
        "tries": FLOOR_TRIES,
    }


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
    if what == "page-times":
        return page_times()
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
