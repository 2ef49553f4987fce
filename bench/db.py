"""The benchmark databases and running a bench module in a child process with one of them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = "salesplan_bench"
DEMO_DB = "salesplan_bench_demo"


def url(name: str) -> str:
    return f"{PG}/{name}"


def env_for(name: str, debug: bool = True) -> dict[str, str]:
    """The child's settings; debug=False for timings and memory (DEBUG keeps a log of every query)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url(name), DEBUG=str(debug).lower(), CELERY_TASK_ALWAYS_EAGER="true", LOG_LEVEL="WARNING"
    )
    if not debug:
        env.setdefault("SECRET_KEY", "salesplan-bench-only-not-secret")
    return env


def psql(sql: str, db: str = "postgres") -> str:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) and return its first value, if any."""
    import psycopg2

    conn = psycopg2.connect(url(db))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone() if cursor.description else None
    finally:
        conn.close()
    return "" if row is None else str(row[0])


def exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608 - our own names == "1"


def recreate(name: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')


def manage(db: str, *args: str) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env_for(db), check=True
    )


def child(db: str, module: str, *args: str, debug: bool = True) -> dict:
    """Run `python -m module args` against database `db`; its last output line is a JSON object."""
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env_for(db, debug),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesplan.settings")
    import django

    django.setup()
