"""`python -m bench.run [--fresh] [--no-load]` (`make bench`): generate the bank-scale data set when the bench
database lacks it, measure, run the load test when bench/load.py offers `run_load`, write BENCHMARKS.md.

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust); the load test also needs Redis and the `load` extra.
Every figure in BENCHMARKS.md comes from this run: nothing is typed by hand.
"""

import argparse
import datetime
import json
import os
import platform
import tempfile
import time
import traceback
from pathlib import Path

from bench import db, measure

ACTIVITY_ROWS = (20_000, 100_000)
OPPORTUNITY_ROWS = (20_000, 100_000)
PLAN_ACTUAL_GOAL = 1.5
IMPORT_GOAL = 1 / 3
IMPORT_TRIES = 2  # each import is run this many times, each in a fresh process; the fastest counts
MEMORY_GROWTH = 1.2  # "does not grow with the file": 5× the rows, at most 1.2× the peak memory


def _bench_ready() -> bool:
    if not db.exists(db.BENCH_DB):
        return False
    try:
        return db.psql("SELECT COUNT(*) FROM coaching_checkpoint", db.BENCH_DB) not in ("", "0")
    except Exception:
        return False


def prepare(fresh: bool) -> dict:
    """Make the bench database (unless it has the data) and the small demo database; time both."""
    figures: dict = {}
    if fresh or not _bench_ready():
        began = time.perf_counter()
        db.recreate(db.BENCH_DB)
        db.manage(db.BENCH_DB, "migrate", "--noinput", "--verbosity", "0")
        migrate = time.perf_counter() - began
        figures["generate"] = db.child(db.BENCH_DB, "bench.generate")
        figures["generate"]["migrate_seconds"] = round(migrate, 1)
        figures["generate"]["wall_seconds"] = round(time.perf_counter() - began, 1)
        _keep_generation(figures["generate"])
    else:
        figures["generate"] = _kept_generation()  # the figures of the run that generated the data
    if fresh or not db.exists(db.DEMO_DB):
        db.recreate(db.DEMO_DB)
        db.manage(db.DEMO_DB, "migrate", "--noinput", "--verbosity", "0")
        db.manage(db.DEMO_DB, "seed_demo")
    return figures


def _keep_generation(figures: dict) -> None:
    """Keep the generation's figures in the bench database itself, for later runs that reuse the data."""
    import psycopg2

    with psycopg2.connect(db.url(db.BENCH_DB)) as conn, conn.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_generation (generated_at timestamptz NOT NULL DEFAULT now(), "
            "figures jsonb NOT NULL)"
        )
        cursor.execute("INSERT INTO bench_generation (figures) VALUES (%s)", [json.dumps(figures)])
    conn.close()


def _kept_generation() -> dict | None:
    """The figures of the run that generated the bench data (None for data generated before they were kept)."""
    import psycopg2

    with psycopg2.connect(db.url(db.BENCH_DB)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_generation') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(
            "SELECT generated_at, figures FROM bench_generation ORDER BY generated_at DESC LIMIT 1"
        )
        row = cursor.fetchone()
    conn.close()
    if row is None:
        return None
    return {**row[1], "earlier": row[0].astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")}


WRITTEN_TABLES = (
    "kpis_activity",
    "kpis_opportunity",
    "kpis_stagechange",
    "kpis_planactual",
    "targeting_account",
)


def vacuum() -> None:
    """VACUUM ANALYZE the tables the measurements write to and delete from. A production database's
    autovacuum does this by itself; a test server may run without it (`autovacuum` off), and then the
    hundreds of thousands of rows each import run deletes again would slow every later measurement."""
    db.psql("VACUUM ANALYZE " + ", ".join(WRITTEN_TABLES), db.BENCH_DB)


def measure_imports() -> dict:
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="salesplan-bench-") as tmp:
        for kind, sizes in (("activities", ACTIVITY_ROWS), ("opportunities", OPPORTUNITY_ROWS)):
            for rows in sizes:
                path = str(Path(tmp) / f"{kind}-{rows}.csv")
                db.child(db.BENCH_DB, "bench.measure", "write", kind, str(rows), path)
                tries = [
                    db.child(db.BENCH_DB, "bench.measure", "import", kind, str(rows), path, debug=False)
                    for _ in range(IMPORT_TRIES)
                ]
                best = dict(min(tries, key=lambda t: t["seconds"]))
                best["table_copy"] = min((t["table_copy"] for t in tries), key=lambda c: c["seconds"])
                best["peak_rss_mb"] = max(t["peak_rss_mb"] for t in tries)
                best["tries"] = [t["seconds"] for t in tries]
                out[f"{kind} {rows}"] = {
                    "import": best,
                    "copy": db.child(
                        db.BENCH_DB, "bench.measure", "copy", kind, str(rows), path, debug=False
                    ),
                }
    return out


def run_load() -> dict | str:
    if not (db.ROOT / "bench" / "load.py").exists():
        return "bench/load.py is missing"
    try:
        from bench import load

        if not hasattr(load, "run_load"):
            return "bench/load.py has no run_load"
        return load.run_load(database_url=db.url(db.BENCH_DB))
    except Exception as exc:
        traceback.print_exc()
        return f"not run: {type(exc).__name__}: {exc}"


def run_scale_out() -> dict | str:
    try:
        from bench import load

        return load.run_scale_out(database_url=db.url(db.BENCH_DB))
    except Exception as exc:
        traceback.print_exc()
        return f"not run: {type(exc).__name__}: {exc}"


def machine() -> dict:
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            kb = int(f.readline().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    pg = db.psql("SHOW server_version")
    return {"platform": platform.platform(), "python": platform.python_version(), "cores": os.cpu_count(),
            "memory": memory, "postgresql": pg}  # fmt: skip


def _page_times(times: dict | None) -> list[str]:
    """Where each page's time goes at bank scale, one request at a time (bench.measure page_times)."""
    if not times:
        return []
    lines = [
        "## Each page's own time at bank scale",
        "",
        "One request at a time, in process (the test client, DEBUG off, cached templates), best of five after "
        "a warm-up: the whole request, the part spent in SQL statements, and the rest in Python (the view, its "
        "forms and its templates). No load: this is each page's own work, without contention for the cores. "
        "The RM, leader and director of the load test on its main pages, and an administrator (made for the "
        "measure and rolled back) on the lists that grow with the whole bank.",
        "",
        "| role | page | ms | SQL ms (queries) | Python ms | ÷ the floor page's ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for key, t in times.items():
        role, page = key.split(" ", 1)
        floor = times.get(f"{role} /floor/", {}).get("ms") or 0
        ratio = f"{t['ms'] / floor:.1f}" if floor else "—"
        lines.append(
            f"| {role} | `{page}` | {t['ms']} | {t['sql_ms']} ({t['queries']}) | {t['python_ms']} | {ratio} |"
        )
    return [*lines, ""]


def _page_reason(times: dict | None) -> str:
    """The measured reason a page cannot be within 2× the floor: its Python alone, before any SQL."""
    if not times:
        return ""
    floors = [t["ms"] for k, t in times.items() if k.endswith(" /floor/")]
    pages = {k: t for k, t in times.items() if not k.endswith(" /floor/")}
    if not floors or not pages:
        return ""
    floor = max(floors)
    python = sorted(t["python_ms"] for t in pages.values())
    over = [k for k, t in pages.items() if t["python_ms"] > 2 * floor]
    return (
        f" Measured reason, one request at a time (the table above): the floor page takes at most {floor} ms; "
        f"the pages' Python alone (view, forms, templates: {python[0]}–{python[-1]} ms) is over twice that "
        f"for {len(over)} of {len(pages)} page views before a single SQL statement is counted, and their SQL "
        "adds the aggregates over the people they show. Reaching 2× would take serving those pages from a "
        "cache (or precomputed monthly summaries) rather than from the data as it is now; SalesPlan does not, "
        "so that a figure an RM just changed is never shown stale."
    )


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def render(fig: dict) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench.run`); every figure below comes from that run. "
        "Do not edit by hand.",
        "",
        f"- Date: {fig['date']}",
        f"- Command: `{fig['command']}`",
        "- Machine: " + ", ".join(f"{k} {v}" for k, v in fig["machine"].items()),
        f"- Total time of the run: {fig['run_seconds']} s",
        "",
        "## Bank-scale data set (`salesplan_bench`)",
        "",
    ]
    gen = fig["generate"]
    if gen:
        if gen.get("earlier"):
            lines += [
                f"The bench database already held the data: this run reused it (`--fresh` regenerates). It was "
                f"generated on {gen['earlier']}, by an earlier run, with these figures:",
                "",
            ]
        lines += ["| table | rows |", "| --- | ---: |"]
        lines += [f"| {k} | {v:,} |" for k, v in gen["counts"].items()]
        lines += [
            "",
            "| generation step | seconds |",
            "| --- | ---: |",
            f"| migrate | {gen['migrate_seconds']} |",
        ]
        lines += [f"| {k} | {v} |" for k, v in gen["seconds"].items()]
        lines += [f"| **total, with migrate and commit** | **{gen['wall_seconds']}** |", ""]
    else:
        lines += [
            "The bench database already held the data; this run did not regenerate it (`--fresh` does).",
            "",
        ]
    lines += ["Table sizes now:", "", "| table | rows |", "| --- | ---: |"]
    lines += [f"| {k} | {v:,} |" for k, v in fig["sizes"].items()]
    q = fig["queries"]
    equal = all(q["small"][k]["queries"] == q["bank"][k]["queries"] for k in q["small"])
    lines += [
        "",
        "## SQL queries per page: small demo against bank scale",
        "",
        "Counted with `CaptureQueriesContext` and the test client (`force_login`), on the second request; a "
        "redirect (the dashboard) is followed and the final page counted. Small: `seed_demo` on PostgreSQL.",
        "",
        "| role | page | final URL | small | bank | equal |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    for key, small in q["small"].items():
        bank = q["bank"][key]
        role, page = key.split(" ", 1)
        final = bank["final"] if bank["status"] == 200 else f"{bank['final']} ({bank['status']})"
        same = "yes" if small["queries"] == bank["queries"] else "**no**"
        lines.append(f"| {role} | `{page}` | `{final}` | {small['queries']} | {bank['queries']} | {same} |")
    lines += ["", f"Goal: the same number of queries at both sizes: {_met(equal)}.", ""]
    lines += _page_times(fig.get("page_times"))
    pa = fig["plan_actual"]
    lines += [
        "## Month-end plan versus actual",
        "",
        f"`kpis.services.plan_actual_store` for {pa['month']} at bank scale, as at month end (the month not "
        f"stored yet): {pa['rows_stored']:,} rows (every RM, team, region and the bank × every active metric) "
        f"in {pa['seconds']} s, best of three; run again (every row replaced): {pa['again_seconds']} s. "
        f"Of that, the figures alone (`kpis.selectors.plan_vs_actual_scopes`: the database's aggregates, one per "
        f"source table, the roll-up of people to teams, regions and the bank, the targets, the statuses) take "
        f"{pa['figures_seconds']} s; the rest is writing the rows (the month's rows deleted and the new ones "
        "COPYed in, in one transaction).",
        "",
        "The floor (`bench/measure.py` `FLOOR_SQL`): one hand-written SQL statement computing the same actuals "
        "for every RM, team, region and the bank (GROUPING SETS over the same tables; the targets' plans left "
        f"out) and writing nothing: {pa['floor_seconds']} s ({pa['floor_rows']:,} rows, one per owner with "
        "every metric as a column).",
        "",
        "| measured | seconds | ratio to the floor |",
        "| --- | ---: | ---: |",
        f"| month-end run (figures and writing) | {pa['seconds']} | **{pa['ratio']}×** |",
        f"| run again | {pa['again_seconds']} | {pa['again_ratio']}× |",
        f"| the figures alone | {pa['figures_seconds']} | {pa['figures_ratio']}× |",
        *(
            [
                f"| writing the rows alone (`kpis.services.plan_actual_write`) | {pa['writing_seconds']} | "
                f"{round(pa['writing_seconds'] / pa['floor_seconds'], 2)}× |"
            ]
            if "writing_seconds" in pa
            else []
        ),
        f"| floor | {pa['floor_seconds']} | 1× |",
        *(
            [
                f"| floor, then storing its rows: the stored rows COPYed back into `kpis_planactual` "
                f"({pa['storing_floor_seconds']} s) | {round(pa['floor_seconds'] + pa['storing_floor_seconds'], 3)} "
                f"| {pa['floor_and_storing_ratio']}× |"
            ]
            if "storing_floor_seconds" in pa
            else []
        ),
        "",
        f"Goal ≤ {PLAN_ACTUAL_GOAL}×: {_met(pa['ratio'] <= PLAN_ACTUAL_GOAL)}."
        + (
            ""
            if pa["ratio"] <= PLAN_ACTUAL_GOAL
            else f" Writing the {pa['rows_stored']:,} rows, which the floor does not do, takes "
            f"{pa.get('writing_seconds', round(pa['seconds'] - pa['figures_seconds'], 3))} s (timed on its own, "
            "best of three); the figures alone are "
            f"{pa['figures_ratio']}× the floor."
            + (
                f" Storing the rows at all costs the database at least {pa['storing_floor_seconds']} s "
                f"(COPY, the fastest way in): the floor followed by that alone is "
                f"{pa['floor_and_storing_ratio']}× the floor, so a run that stores its rows has "
                f"{round(PLAN_ACTUAL_GOAL - pa['floor_and_storing_ratio'], 2)}× of the floor's time left for "
                "everything else (the targets' plans, the statuses and the roll-up in Python, the owners' and "
                "targets' queries, turning the figures into rows), against the "
                f"{round(pa['ratio'] - pa['floor_and_storing_ratio'], 2)}× that takes now."
                if "storing_floor_seconds" in pa
                else ""
            )
        ),
        "",
        "## Imports",
        "",
        "The management commands (`import_activities`, `import_opportunities --as director1@bench.example`) on "
        f"generated files in the kpis layouts, each run {IMPORT_TRIES} times in a fresh process: the fastest run "
        "counts, and the highest peak memory (the process's `ru_maxrss`). The import "
        "streams the file: 2,000 rows at a time are read, looked up, checked (`salesplan.csvimport.RowForm`: "
        "the row form's Django fields and rules) and, as they are checked, COPYed into their table, all in one "
        "transaction rolled back whole when any row has a problem; the keys of older chunks (a row given twice "
        "is refused, naming the first) wait in a temporary table rather than in memory.",
        "",
        "The floor is PostgreSQL's own COPY of the same rows: what the import stored (the activities; the "
        "deals and the stage history written with them), COPYed out, deleted and COPYed back into the same "
        "tables with their indexes, constraints and deferred foreign-key checks, and committed, right after "
        f"each import run, {measure.FLOOR_TRIES} times: the fastest of all counts. For scale, the last columns"
        " give COPY of the CSV file as it is into a scratch table of text columns (no index, no constraint, "
        "no conversion): even PostgreSQL's COPY into the real tables reaches only a few hundredths of that "
        "rate, so no import that stores its rows can reach a third of it; the goal is judged against the "
        "first floor.",
        "",
        "| file | rows | import s | of which SQL s (queries) | import rows/s | COPY of the same rows rows/s "
        "| share of it | peak memory MB | COPY of the file into a scratch table rows/s | the floor's share of it |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    verdicts = []
    for key, r in fig["imports"].items():
        kind, rows = key.split(" ")
        imp = r["import"]
        table_rate = imp["table_copy"]["rows_per_second"]
        lines.append(f"| {kind} | {int(rows):,} | {imp['seconds']} | {imp['sql_seconds']} ({imp['sql_queries']:,}) | "
                     f"{imp['rows_per_second']:,} | {table_rate:,} | **{imp['rows_per_second'] / table_rate:.2f}** | "
                     f"{imp['peak_rss_mb']} | {r['copy']['rows_per_second']:,} | "
                     f"{table_rate / r['copy']['rows_per_second']:.3f} |")  # fmt: skip
    lines.append("")
    for kind in ("activities", "opportunities"):
        runs = {k: v for k, v in fig["imports"].items() if k.startswith(kind)}
        small, big = (runs[k]["import"]["peak_rss_mb"] for k in sorted(runs, key=lambda k: int(k.split()[1])))
        shares = [
            v["import"]["rows_per_second"] / v["import"]["table_copy"]["rows_per_second"]
            for v in runs.values()
        ]
        rate_ok = min(shares) >= IMPORT_GOAL
        memory_ok = big <= small * MEMORY_GROWTH
        biggest = runs[max(runs, key=lambda k: int(k.split()[1]))]["import"]
        in_sql = biggest["sql_seconds"] / biggest["seconds"]
        sizes = sorted(int(k.split()[1]) for k in runs)
        per_row = (biggest["seconds"] - biggest["sql_seconds"]) / sizes[-1] * 1e6
        per_thousand = (big - small) / (sizes[-1] - sizes[0]) * 1000
        verdicts.append(
            f"- {kind}: at least a third of the rate of PostgreSQL's COPY of the same rows {_met(rate_ok)} "
            f"(lowest share {min(shares):.2f}); memory not growing with the file (the larger file's peak within "
            f"{MEMORY_GROWTH:.1f}× the smaller's, the file being {sizes[-1] // sizes[0]}× longer) "
            f"{_met(memory_ok)}: {small} MB at {sizes[0]:,} rows, {big} MB at {sizes[-1]:,} "
            f"({per_thousand:.2f} MB more per 1,000 rows). Of the largest import's {biggest['seconds']} s, "
            f"{biggest['sql_seconds']} s ({in_sql:.0%}) went to {biggest['sql_queries']:,} SQL statements (the "
            f"COPY and the commit's foreign-key checks aside); the rest, about {per_row:.0f} µs a row, to "
            "reading and checking the rows and to the COPY, which the database takes while the rows are checked."
        )
    lines += ["Goals:", "", *verdicts, ""]
    load = fig["load"]
    lines += ["## Load test (bench/load.py `run_load` against `salesplan_bench`)", ""]
    if isinstance(load, dict):
        goal = load.get("goal", {})
        lines += [
            f"Goal (bench/load.py's: every page's p50 within {goal.get('ratio_to_floor')}× the floor page's, p99 ≤ "
            f"{goal.get('p99_ms')} ms): {_met(bool(load.get('within_goal')))}; over the goal: "
            f"{', '.join(load.get('over_goal') or []) or 'none'}."
            + ("" if load.get("within_goal") else _page_reason(fig.get("page_times"))),
            "",
        ]
        lines += [
            "| page | requests | p50 ms | p95 ms | p99 ms | p50 ÷ floor's | one person per role: p50 ms | ÷ floor's |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        idle = load.get("idle", {})
        for name, page in load["pages"].items():
            calm = idle.get(name, {})
            lines.append(
                f"| {name} | {page['requests']:,} | {page['p50_ms']} | {page['p95_ms']} | {page['p99_ms']} | "
                f"{page['ratio_to_floor']} | {calm.get('p50_ms', '—')} | {calm.get('ratio_to_floor', '—')} |"
            )
        lines += [
            "",
            f"{load['requests']:,} requests, {load['failures']} failures, {load['concurrency']} people "
            f"({', '.join(f'{n} {r}' for r, n in load['by_role'].items())}) for {load['duration_s']} s against "
            f"gunicorn with {load['workers']} workers, on the same machine as the load generator and PostgreSQL. "
            "The login rows and the checkpoint list are each person's start, once, all of them at the same "
            "moment: logging in (password hashing, which keeps both cores busy then), then the list of meetings "
            "to pick one to open; the goal is judged on the pages people go back to. The first columns come "
            "from the load; the last two from a run just before it with one person per role, where each page's "
            "time is its own work.",
            "",
            "<details><summary>Raw figures</summary>",
            "",
            "```json",
            json.dumps(load, indent=2, ensure_ascii=False, default=str),
            "```",
            "",
            "</details>",
            "",
        ]
    else:
        lines += [str(load), ""]
    scale = fig.get("scale_out", "not run")
    lines += ["## Scale-out (bench/load.py `run_scale_out` against `salesplan_bench`)", ""]
    if isinstance(scale, dict):
        ok = scale["failures"] == 0 and scale["exactly_once"]
        lines += [
            f"{scale['web_processes']} gunicorn processes ({scale['workers_per_web']} workers each, on two ports), "
            f"{scale['celery_workers']} Celery workers on separate queues and {scale['beats']} beat, all on the "
            f"same PostgreSQL and Redis. {scale['concurrency']} people loaded both web processes for "
            f"{scale['duration_s']} s: {scale['requests']:,} requests, {scale['failures']} failures. Meanwhile "
            f"{scale['checkpoints_created']} meetings an hour away were created and the reminders dispatched twice "
            f"through each worker at once: {scale['reminder_rows']:,} reminder rows "
            f"({scale['reminder_rows_for_new_checkpoints']:,} for the new meetings; the others for meetings of the "
            f"bench data that were due then, not reminded yet), {scale['duplicate_reminders']} duplicates, "
            f"{scale['emails']:,} e-mails written.",
            "",
            f"Goal (no failure, every reminder exactly once): {_met(ok)}.",
            "",
        ]
    else:
        lines += [str(scale), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--fresh", action="store_true", help="regenerate the databases even if they hold data"
    )
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument(
        "--render", action="store_true", help="only rewrite BENCHMARKS.md from the last figures"
    )
    args = parser.parse_args()
    figures_file = db.ROOT / "var" / "bench-figures.json"
    if args.render:
        (db.ROOT / "BENCHMARKS.md").write_text(render(json.loads(figures_file.read_text())), encoding="utf-8")
        return
    began = time.perf_counter()
    fig = prepare(args.fresh)
    vacuum()  # what earlier runs left
    print("data ready", json.dumps(fig), flush=True)
    fig["queries"] = {
        "small": db.child(db.DEMO_DB, "bench.measure", "queries", "small"),
        "bank": db.child(db.BENCH_DB, "bench.measure", "queries", "bank"),
    }
    fig["page_times"] = db.child(db.BENCH_DB, "bench.measure", "page-times", debug=False)
    print("queries done", flush=True)
    fig["plan_actual"] = db.child(db.BENCH_DB, "bench.measure", "plan-actual")
    print("plan-actual done", json.dumps(fig["plan_actual"]), flush=True)
    vacuum()
    fig["imports"] = measure_imports()
    vacuum()
    print("imports done", flush=True)
    fig["load"] = "skipped (--no-load)" if args.no_load else run_load()
    print("load done", flush=True)
    fig["scale_out"] = "skipped (--no-load)" if args.no_load else run_scale_out()
    sizes = {}  # after the measurements: kpis_planactual then holds the month-end run's rows
    for table in (
        "accounts_user",
        "targeting_account",
        "targeting_contact",
        "kpis_activity",
        "kpis_opportunity",
        "kpis_balancesnapshot",
        "kpis_target",
        "coaching_plan",
        "coaching_checkpoint",
        "kpis_planactual",
    ):
        sizes[table] = int(db.psql(f"SELECT COUNT(*) FROM {table}", db.BENCH_DB))  # noqa: S608 - fixed names
    fig["sizes"] = sizes
    fig["machine"] = machine()
    fig["machine"]["autovacuum"] = db.psql("SHOW autovacuum") + " (the run vacuums the tables it writes to)"
    fig["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    fig["command"] = "make bench  (python -m bench.run" + (" --fresh" if args.fresh else "") + ")"
    fig["run_seconds"] = round(time.perf_counter() - began, 1)
    (db.ROOT / "var").mkdir(exist_ok=True)
    figures_file.write_text(json.dumps(fig, indent=2, default=str), encoding="utf-8")
    (db.ROOT / "BENCHMARKS.md").write_text(render(fig), encoding="utf-8")
    print("BENCHMARKS.md written", flush=True)


if __name__ == "__main__":
    main()
