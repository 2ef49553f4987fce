"""Load test and scale-out check (issue 7).

`run_load` starts gunicorn on 127.0.0.1 against a given database and drives it with locust (headless, as a
separate process: gevent must never be imported here), then reports p50/p95/p99 per page and each page's
p50 as a ratio to the floor page's (the base layout alone). `run_scale_out` runs two gunicorn processes,
two Celery workers on separate queues and one beat against the same PostgreSQL and Redis, drives both web
processes, dispatches reminders from both workers at once and checks that each reminder went out once.

Everything is bounded in time, talks only to 127.0.0.1, and stops every process it started. Needs the `load`
extra (`pip install -e ".[load]"`) and a Redis server at 127.0.0.1:6379 (database 14 is used).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/14"
DEMO_PASSWORD = "salesplan-demo"  # noqa: S105 - the published demo password (accounts/demo.py)
GOAL_RATIO = 2.0
GOAL_P99_MS = 1000.0
IDLE_S = 20  # the run with one person per role before the load
PAGES = ("floor", "home", "dashboard", "accounts", "review-board", "checkpoint")
ROLES = ("rm", "leader", "director")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="salesplan.settings",
        DEBUG="false",
        SECRET_KEY=extra.pop("SECRET_KEY", None) or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def _manage(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _shell(env: dict[str, str], code: str, timeout: int = 120) -> dict:
    """Run Python in a Django shell with the given environment; it prints one JSON line last."""
    out = _manage(env, "shell", "--no-imports", "-c", code, timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


_USERS_CODE = """
import json
from accounts.models import User
users = {}
for role in ("rm", "leader", "director"):
    qs = User.objects.with_role(role).filter(is_active=True).order_by("pk").values_list("email", flat=True)
    users[role] = list(qs[:50])
print(json.dumps(users))
"""


def _default_users(env: dict[str, str]) -> dict[str, list[str]]:
    return _shell(env, _USERS_CODE)


def _credentials(users: dict[str, list[str]], concurrency: int) -> list[list[str]]:
    """`concurrency` logins, interleaved by role so that any prefix is split between the roles."""
    out: list[list[str]] = []
    pools = {role: list(users.get(role) or []) for role in ROLES}
    i = 0
    while len(out) < concurrency and any(pools.values()):
        for role in ROLES:
            if pools[role] and len(out) < concurrency:
                out.append([role, pools[role][i % len(pools[role])]])
        i += 1
    return out


def _wait_up(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn on port {port} exited with {proc.returncode}")
        url = f"http://127.0.0.1:{port}/login/"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as resp:
            if resp.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn on port {port} did not answer within {timeout} s")


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(  # noqa: S603 - fixed programs from our virtualenv
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(proc: subprocess.Popen | None, timeout: float = 15) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    args = [str(BIN / "gunicorn"), "salesplan.wsgi", "--workers", str(workers), "--no-control-socket"]
    args += ["--bind", f"127.0.0.1:{port}", "--timeout", "30"]
    proc = _start(args, env, log)
    try:
        _wait_up(port, proc)
    except BaseException:
        _stop(proc)
        raise
    return proc


def _locust(
    *, ports: list[int], credentials: list[list[str]], duration_s: int, tmp: Path, env: dict[str, str]
) -> list[Path]:
    """One headless locust per port (the credentials split between them); returns their stats CSVs."""
    procs, stats = [], []
    share = max(1, len(credentials) // len(ports))
    try:
        for n, port in enumerate(ports):
            mine = (
                credentials[n * share : (n + 1) * share] if n < len(ports) - 1 else credentials[n * share :]
            )
            users_file = tmp / f"users-{n}.json"
            users_file.write_text(json.dumps(mine), encoding="utf-8")
            prefix = tmp / f"locust-{n}"
            args = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"]
            args += ["-u", str(len(mine)), "-r", "10", "-t", f"{duration_s}s", "--stop-timeout", "5"]
            args += ["--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary"]
            locust_env = dict(env, LOAD_USERS_FILE=str(users_file), LOAD_PASSWORD=DEMO_PASSWORD)
            procs.append(_start(args, locust_env, tmp / f"locust-{n}.log"))
            stats.append(Path(f"{prefix}_stats.csv"))
        for proc in procs:
            try:
                proc.wait(timeout=duration_s + 60)  # locust's exit code is 1 when any request failed
            except subprocess.TimeoutExpired:
                _stop(proc)
    finally:
        for proc in procs:
            _stop(proc)
    return stats


def _figures(stats_files: list[Path]) -> dict:
    """Per page: requests, failures, p50/p95/p99 (ms), and p50 over the floor's p50."""
    rows: dict[str, dict] = {}
    for path in stats_files:
        if not path.exists():
            continue
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                name = row["Name"]
                if name == "Aggregated":
                    continue
                count = int(row["Request Count"])
                page = rows.setdefault(name, {"requests": 0, "failures": 0, "p50_ms": 0.0, "p95_ms": 0.0,
                                              "p99_ms": 0.0})  # fmt: skip
                # Two runs (two ports): percentiles weighted by requests, a close approximation.
                total = page["requests"] + count
                for key, col in (("p50_ms", "50%"), ("p95_ms", "95%"), ("p99_ms", "99%")):
                    value = float(row[col]) if row[col] not in ("", "N/A") else 0.0
                    page[key] = (page[key] * page["requests"] + value * count) / total if total else 0.0
                page["requests"] = total
                page["failures"] += int(row["Failure Count"])
    floor = rows.get("floor", {}).get("p50_ms") or 0.0
    pages = {}
    for name in [*PAGES, *sorted(set(rows) - set(PAGES))]:
        if name not in rows:
            continue
        page = {k: round(v, 1) if isinstance(v, float) else v for k, v in rows[name].items()}
        page["ratio_to_floor"] = round(rows[name]["p50_ms"] / floor, 2) if floor else None
        pages[name] = page
    measured = [pages[p] for p in PAGES if p in pages]
    return {
        "pages": pages,
        "requests": sum(p["requests"] for p in pages.values()),
        "failures": sum(p["failures"] for p in pages.values()),
        "floor_p50_ms": round(floor, 1),
        "goal": {"ratio_to_floor": GOAL_RATIO, "p99_ms": GOAL_P99_MS},
        "within_goal": bool(measured)
        and all((p["ratio_to_floor"] or 0) <= GOAL_RATIO and p["p99_ms"] <= GOAL_P99_MS for p in measured),
        "over_goal": [
            name
            for name in PAGES
            if name in pages
            and ((pages[name]["ratio_to_floor"] or 0) > GOAL_RATIO or pages[name]["p99_ms"] > GOAL_P99_MS)
        ],
    }


def _collectstatic(env: dict[str, str]) -> None:
    _manage(env, "collectstatic", "--noinput", "--verbosity", "0")


def run_load(
    *,
    database_url: str,
    users: dict[str, list[str]] | None = None,
    duration_s: int = 60,
    concurrency: int = 20,
    workers: int = 3,
) -> dict:
    """Drive one gunicorn (`workers` processes) with `concurrency` logged-in people for `duration_s`
    seconds; `users` maps a role (rm, leader, director) to e-mails whose password is the demo one
    (default: the database's active people of those roles)."""
    with tempfile.TemporaryDirectory(prefix="salesplan-load-") as tmpdir:
        tmp = Path(tmpdir)
        env = _env(database_url, STATIC_ROOT=str(tmp / "static"))
        _collectstatic(env)
        users = users or _default_users(env)
        credentials = _credentials(users, concurrency)
        if not credentials:
            raise ValueError("no rm, leader or director to log in as")
        port = _free_port()
        web = None
        try:
            web = _gunicorn(env, port, workers, tmp / "gunicorn.log")
            # First one person per role (the server mostly idle: each page's own cost), then the load.
            idle_dir = tmp / "idle"
            idle_dir.mkdir()
            idle = _locust(
                ports=[port], credentials=_credentials(users, len(ROLES)), duration_s=IDLE_S, tmp=idle_dir,
                env=env,
            )  # fmt: skip
            started = time.monotonic()
            stats = _locust(ports=[port], credentials=credentials, duration_s=duration_s, tmp=tmp, env=env)
            elapsed = time.monotonic() - started
        finally:
            _stop(web)
        result = _figures(stats)
        result["idle"] = {
            name: {k: page[k] for k in ("requests", "p50_ms", "p95_ms", "ratio_to_floor")}
            for name, page in _figures(idle)["pages"].items()
            if name in PAGES
        }
        result.update(
            concurrency=len(credentials),
            workers=workers,
            duration_s=duration_s,
            elapsed_s=round(elapsed, 1),
            by_role={role: sum(1 for c in credentials if c[0] == role) for role in ROLES},
        )
        return result


_SETUP_CODE = """
import datetime, json, secrets
from django.utils import timezone
from accounts.models import User
from coaching.models import Checkpoint
now = timezone.now()
rms = User.objects.with_role("rm").filter(is_active=True, team__leader__isnull=False).select_related("team")
ids = []
for rm in rms.order_by("pk")[:{n}]:
    at = now + datetime.timedelta(hours=1)
    cp = Checkpoint.objects.create(rm=rm, leader=rm.team.leader, kind="weekly",
                                   period="LD" + secrets.token_hex(4), scheduled_at=at, originally_at=at)
    ids.append(cp.pk)
print(json.dumps({{"checkpoints": ids, "started": now.isoformat()}}))
"""

_DISPATCH_CODE = """
import json
from coaching.tasks import reminders_dispatch
for queue in {queues!r}:
    for _ in range(2):
        reminders_dispatch.apply_async(queue=queue)
print(json.dumps({{"sent": 2 * len({queues!r})}}))
"""

_CHECK_CODE = """
import datetime, json
from django.db.models import Count
from coaching.models import ReminderSent
started = datetime.datetime.fromisoformat({started!r})
rows = ReminderSent.objects.filter(sent_at__gte=started)
dupes = rows.values("checkpoint", "kind", "recipient").annotate(n=Count("pk")).filter(n__gt=1).count()
mine = ReminderSent.objects.filter(checkpoint_id__in={ids!r}).count()
print(json.dumps({{"rows": rows.count(), "duplicates": dupes, "rows_for_new_checkpoints": mine}}))
"""

_CLEANUP_CODE = """
import json
from coaching.models import Checkpoint
print(json.dumps({{"deleted": Checkpoint.objects.filter(pk__in={ids!r}).delete()[0]}}))
"""


def _emails(folder: Path) -> int:
    """E-mails written by the file backend: one Message-ID header each (several may share one file)."""
    count = 0
    for path in folder.glob("*"):
        text = path.read_text(encoding="utf-8", errors="replace")
        count += sum(1 for line in text.splitlines() if line.startswith("Message-ID:"))
    return count


def _worker(env: dict[str, str], name: str, queue: str, log: Path) -> subprocess.Popen:
    args = [str(BIN / "celery"), "-A", "salesplan", "worker", "-n", f"{name}@%h", "-Q", f"celery,{queue}"]
    args += ["--concurrency", "2", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    return _start(args, env, log)


def run_scale_out(
    *,
    database_url: str,
    users: dict[str, list[str]] | None = None,
    duration_s: int = 30,
    concurrency: int = 20,
    workers: int = 2,
    checkpoints: int = 3,
    settle_s: int = 20,
) -> dict:
    """Two gunicorn processes, two Celery workers (queues `load-a` and `load-b`, both also on the default
    queue) and ONE beat, all on the same PostgreSQL and Redis. Load both web processes; create
    `checkpoints` meetings an hour away (their reminders are due); dispatch reminders twice through each
    worker at once; then check one ReminderSent row per (checkpoint, kind, recipient) and one e-mail per row.
    The checkpoints it created are deleted at the end (their reminder rows with them)."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise ValueError("the scale-out check needs PostgreSQL (several processes write at once)")
    with tempfile.TemporaryDirectory(prefix="salesplan-scale-") as tmpdir:
        tmp = Path(tmpdir)
        mail = tmp / "mail"
        mail.mkdir()
        env = _env(
            database_url,
            STATIC_ROOT=str(tmp / "static"),
            EMAIL_URL=f"filemail:///{mail}",  # four slashes for an absolute path: filemail:////tmp/...
            SITE_URL="http://127.0.0.1",
        )
        _collectstatic(env)
        users = users or _default_users(env)
        credentials = _credentials(users, concurrency)
        procs: list[subprocess.Popen] = []
        setup = {"checkpoints": []}
        try:
            ports = [_free_port(), _free_port()]
            for n, port in enumerate(ports):
                procs.append(_gunicorn(env, port, workers, tmp / f"gunicorn-{n}.log"))
            procs.append(_worker(env, "load-a", "load-a", tmp / "worker-a.log"))
            procs.append(_worker(env, "load-b", "load-b", tmp / "worker-b.log"))
            beat = [
                str(BIN / "celery"),
                "-A",
                "salesplan",
                "beat",
                "--scheduler",
                "celery.beat:PersistentScheduler",
            ]
            beat += ["-s", str(tmp / "celerybeat-schedule"), "--loglevel", "INFO"]
            procs.append(_start(beat, env, tmp / "beat.log"))
            setup = _shell(env, _SETUP_CODE.format(n=checkpoints))
            # While the people load both web processes, reminders are dispatched through both workers.
            _shell(env, _DISPATCH_CODE.format(queues=["load-a", "load-b"]))
            started = time.monotonic()
            stats = _locust(ports=ports, credentials=credentials, duration_s=duration_s, tmp=tmp, env=env)
            elapsed = time.monotonic() - started
            _shell(env, _DISPATCH_CODE.format(queues=["load-a", "load-b"]))
            deadline = time.monotonic() + settle_s
            check: dict = {}
            previous = -1
            while time.monotonic() < deadline:  # until the rows stop changing (or settle_s)
                time.sleep(3)
                check = _shell(env, _CHECK_CODE.format(started=setup["started"], ids=setup["checkpoints"]))
                if check["rows"] == previous and check["rows_for_new_checkpoints"]:
                    break
                previous = check["rows"]
            emails = _emails(mail)
        finally:
            for proc in reversed(procs):
                _stop(proc)
            if setup["checkpoints"]:
                with contextlib.suppress(Exception):
                    _shell(env, _CLEANUP_CODE.format(ids=setup["checkpoints"]))
        result = _figures(stats)
        result.update(
            web_processes=2,
            workers_per_web=workers,
            celery_workers=2,
            beats=1,
            concurrency=len(credentials),
            duration_s=duration_s,
            elapsed_s=round(elapsed, 1),
            checkpoints_created=len(setup["checkpoints"]),
            reminder_rows=check.get("rows", 0),
            reminder_rows_for_new_checkpoints=check.get("rows_for_new_checkpoints", 0),
            duplicate_reminders=check.get("duplicates", 0),
            emails=emails,
            exactly_once=check.get("duplicates", 1) == 0 and emails == check.get("rows", -1),
        )
        return result


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--scale-out", action="store_true")
    options = parser.parse_args()
    run = run_scale_out if options.scale_out else run_load
    print(json.dumps(run(database_url=options.database_url, duration_s=options.duration,
                         concurrency=options.concurrency), indent=2))  # fmt: skip
