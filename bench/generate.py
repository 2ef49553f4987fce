"""Generate a bank-scale data set into the `salesplan_bench` PostgreSQL database.

5 regions, 60 teams, 600 RMs, 60,000 accounts, 20,000 contacts, 1,000,000 activities, 100,000
opportunities, 36 months of loan balances per account (2,160,000 rows) and 12 of DDA deposits (720,000),
this year's targets and plan for every RM and two years of weekly checkpoints. Small tables go through
`bulk_create`, the big ones through PostgreSQL COPY. Every bench person logs in with
accounts.demo.DEMO_PASSWORD: rm0001@bench.example … rm0600, leader001@bench.example … leader060,
director1@bench.example … director5.

Run `python -m bench.generate` (with DATABASE_URL pointing at the bench database, migrated); it prints one
JSON line with the row counts and the seconds each step took.
"""

import datetime
import io
import json
import random
import time
from decimal import Decimal

REGIONS = [
    "Île-de-France",
    "Auvergne-Rhône-Alpes",
    "Provence-Alpes-Côte d'Azur",
    "Occitanie",
    "Hauts-de-France",
]
CITIES = ["Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes", "Bordeaux", "Nice", "Grenoble", "Rennes",
          "Strasbourg", "Montpellier"]  # fmt: skip
COMPANY_WORDS = ["Atelier", "Maison", "Groupe", "Société", "Compagnie", "Industries", "Transports", "Laboratoires",
                 "Ateliers", "Établissements"]  # fmt: skip
COMPANY_NAMES = ["Lumière", "Provence", "Horizon", "Alpes", "Océan", "Forêt", "Rivage", "Vallée", "Soleil",
                 "Étoile", "Montagne", "Cèdre", "Olivier",
                 "Garonne", "Loire", "Rhône", "Seine", "Azur", "Bocage", "Causse"]  # fmt: skip
SUFFIXES = ["SA", "SAS", "SARL", "SCOP", "SNC"]

N_REGIONS, TEAMS_PER_REGION, RMS_PER_TEAM, ACCOUNTS_PER_RM = 5, 12, 10, 100
N_ACTIVITIES, N_OPPORTUNITIES, BALANCE_MONTHS, DDA_MONTHS, WEEKS = 1_000_000, 100_000, 36, 12, 104
DOMAIN = "bench.example"


def rm_email(i: int) -> str:
    return f"rm{i:04d}@{DOMAIN}"


def leader_email(i: int) -> str:
    return f"leader{i:03d}@{DOMAIN}"


def director_email(i: int) -> str:
    return f"director{i}@{DOMAIN}"


def _names():
    """Demo-style unique display names: the demo's first names × last names."""
    from accounts.demo import RM_NAMES

    first = [n.split(" ", 1)[0] for n in RM_NAMES]
    last = [n.split(" ", 1)[1] for n in RM_NAMES]
    size = len(first)
    for i in range(size * size):
        yield f"{first[i % size]} {last[(i // size + i) % size]}"


def _month_ends(last: datetime.date, count: int) -> list[datetime.date]:
    ends, year, month = [], last.year, last.month
    for _i in range(count):
        nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
        ends.append(nxt - datetime.timedelta(days=1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return ends[::-1]


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of already formatted text, None for NULL) into table, 200,000 rows at a time."""
    count, buf = 0, io.StringIO()

    def flush():
        buf.seek(0)
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", buf)
        buf.seek(0)
        buf.truncate()

    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row))
        buf.write("\n")
        count += 1
        if count % 200_000 == 0:
            flush()
    flush()
    return count


def generate() -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.demo import DEMO_PASSWORD
    from accounts.models import Region, Team, User
    from coaching.calculations import default_due_date
    from coaching.models import Checkpoint, CheckpointKind, CheckpointStatus, Plan, PlanSection, SectionKey
    from kpis.demo import PRODUCTS, SEASONAL, STANDARDS
    from kpis.models import (
        Activity,
        BalanceSnapshot,
        Distribution,
        Metric,
        Opportunity,
        Product,
        Standard,
        Target,
    )
    from kpis.selectors import latest_closed_month
    from targeting.demo import _seed_reference_data, _seed_segments
    from targeting.models import Account, AccountStatus, Contact, NamedAccountEntry, NamedAccountList

    rng = random.Random("salesplan-bench")  # noqa: S311 - test data, not security
    timings, counts = {}, {}
    today = timezone.localdate()
    now = timezone.now()
    year = today.year
    started = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal started
        timings[step] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()

    password = make_password(DEMO_PASSWORD)
    names = _names()
    with transaction.atomic():
        industries = list(_seed_reference_data().values())
        products = [
            Product.objects.get_or_create(name=n, defaults={"category": c, "list_price": p})[0]
            for n, c, p in PRODUCTS
        ]
        seasonal, _created = Distribution.objects.get_or_create(
            name=SEASONAL[0], defaults={"weights": SEASONAL[1]}
        )
        directors = User.objects.bulk_create(
            User(email=director_email(i + 1), display_name=next(names), password=password, language="fr")
            for i in range(N_REGIONS)
        )
        regions = Region.objects.bulk_create(
            Region(name=REGIONS[i], director=directors[i]) for i in range(N_REGIONS)
        )
        leaders = User.objects.bulk_create(
            User(email=leader_email(i + 1), display_name=next(names), password=password, language="fr")
            for i in range(N_REGIONS * TEAMS_PER_REGION)
        )
        teams = Team.objects.bulk_create(
            Team(name=f"{CITIES[i % len(CITIES)]} Entreprises {i + 1}", region=regions[i // TEAMS_PER_REGION],
                 leader=leaders[i])
            for i in range(len(leaders))
        )  # fmt: skip
        rms = User.objects.bulk_create(
            User(email=rm_email(i + 1), display_name=next(names), password=password, language="fr",
                 team=teams[i // RMS_PER_TEAM])
            for i in range(len(teams) * RMS_PER_TEAM)
        )  # fmt: skip
        counts["users"] = len(directors) + len(leaders) + len(rms)
        _seed_segments({i.name: i for i in industries})  # the demo's segments, for every region and team
        every = {m.code: m for m in Metric.objects.all()}
        Standard.objects.bulk_create(
            Standard(team=t, metric=every[code], value=value, period=period)
            for t in teams
            for code, value, period in STANDARDS
        )
        lap("organisation")

        accounts = []
        for r, rm in enumerate(rms):
            for k in range(ACCOUNTS_PER_RM):
                n = r * ACCOUNTS_PER_RM + k
                roll = rng.random()
                status = (AccountStatus.ACTIVE if roll < 0.45 else AccountStatus.FORMER if roll < 0.5
                          else AccountStatus.PROSPECT)  # fmt: skip
                high = status == AccountStatus.ACTIVE and rng.random() < 0.2
                accounts.append(Account(
                    legal_name=f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NAMES)} {n + 1:05d} "
                               f"{rng.choice(SUFFIXES)}",
                    industry=rng.choice(industries), owner=rm, status=status,
                    annual_revenue=Decimal(rng.randrange(500, 200_000) * 1000),
                    employees=rng.randrange(5, 2000), location=rng.choice(CITIES),
                    client_since=(today - datetime.timedelta(days=rng.randrange(200, 5000))
                                  if status != AccountStatus.PROSPECT else None),
                    client_until=(today - datetime.timedelta(days=rng.randrange(10, 150))
                                  if status == AccountStatus.FORMER else None),
                    products_held=rng.randrange(0, 6) if status == AccountStatus.ACTIVE else 0,
                    is_high_value=high, must_keep=high and rng.random() < 0.7,
                    tier_score=rng.randrange(0, 100),
                ))  # fmt: skip
        accounts = Account.objects.bulk_create(accounts, batch_size=5000)
        contacts = Contact.objects.bulk_create(
            (Contact(account=a, name=f"{next(_names())} {i}", title="Directeur financier", level=rng.randrange(1, 5),
                     is_primary=True, email=f"contact{i}@client.example")
             for i, a in enumerate(accounts[::3])),
            batch_size=5000,
        )  # fmt: skip
        counts["accounts"], counts["contacts"] = len(accounts), len(contacts)
        lists = NamedAccountList.objects.bulk_create(NamedAccountList(owner=rm, year=year) for rm in rms)
        NamedAccountEntry.objects.bulk_create(
            (NamedAccountEntry(named_list=lists[r], account=a)
             for r in range(len(rms))
             for a in accounts[r * ACCOUNTS_PER_RM : r * ACCOUNTS_PER_RM + 18]),
            batch_size=5000,
        )  # fmt: skip
        lap("accounts and contacts")

        rm_accounts = [
            [a.pk for a in accounts[r * ACCOUNTS_PER_RM : (r + 1) * ACCOUNTS_PER_RM]] for r in range(len(rms))
        ]
        start = today - datetime.timedelta(days=730)
        stamp = now.isoformat()
        cursor = connection.cursor().cursor  # the psycopg2 cursor, for copy_expert

        def activities():
            for i in range(N_ACTIVITIES):
                r = i % len(rms)
                roll = rng.random()
                kind = "conversation" if roll < 0.6 else "appointment" if roll < 0.9 else "proposal"
                first = "t" if kind == "appointment" and rng.random() < 0.3 else "f"
                day = start + datetime.timedelta(days=rng.randrange(730))
                yield (rms[r].pk, kind, first, rng.choice(rm_accounts[r]), None, day, "", "", None, stamp)

        counts["activities"] = _copy(cursor, Activity._meta.db_table,
                                     ["owner_id", "kind", "is_first_appointment", "account_id", "contact_id", "date",
                                      "outcome", "notes", "external_id", "created_at"], activities())  # fmt: skip
        lap("activities (COPY)")

        def opportunities():
            for i in range(N_OPPORTUNITIES):
                r = i % len(rms)
                engage = start + datetime.timedelta(days=rng.randrange(700))
                roll = rng.random()
                stage = ("won" if roll < 0.35 else "lost" if roll < 0.6 else "proposal" if roll < 0.75
                         else "engaging" if roll < 0.9 else "prospecting")  # fmt: skip
                close = (min(engage + datetime.timedelta(days=rng.randrange(10, 120)), today)
                         if stage in ("won", "lost") else None)  # fmt: skip
                value = rng.randrange(2, 400) * 500 if stage != "lost" else 0
                yield (f"BENCH-{i + 1:07d}", rng.choice(rm_accounts[r]), rng.choice(products).pk, rms[r].pk, "",
                       stage, engage, close, value, "EUR", None, "[]", stamp, stamp)  # fmt: skip

        counts["opportunities"] = _copy(cursor, Opportunity._meta.db_table,
                                        ["external_id", "account_id", "product_id", "owner_id", "name", "stage",
                                         "engage_date", "close_date", "value", "currency", "investment", "cash_flows",
                                         "created_at", "updated_at"], opportunities())  # fmt: skip
        lap("opportunities (COPY)")

        loans, dda = Metric.objects.get(code="loans"), Metric.objects.get(code="dda")
        ends = _month_ends(datetime.date(*latest_closed_month(today), 1), BALANCE_MONTHS)
        baseline_end = datetime.date(year - 1, 12, 31)
        baselines = [Decimal(0)] * len(rms)

        def balances():
            for n, a in enumerate(accounts):
                balance = 0 if a.status == AccountStatus.PROSPECT else rng.randrange(10, 3000) * 1000
                for end in ends:
                    balance = max(0, int(balance * rng.uniform(0.97, 1.04)))
                    if end == baseline_end:
                        baselines[n // ACCOUNTS_PER_RM] += balance
                    yield (a.pk, loans.pk, end, balance)
                deposit = 0 if a.status == AccountStatus.PROSPECT else rng.randrange(5, 800) * 1000
                for end in ends[-DDA_MONTHS:]:  # DDA deposits for the last year, so both balance metrics show
                    yield (a.pk, dda.pk, end, deposit)

        counts["balances"] = _copy(cursor, BalanceSnapshot._meta.db_table,
                                   ["account_id", "metric_id", "month_end", "balance"], balances())  # fmt: skip
        lap("balances (COPY)")

        metrics = {
            m.code: m
            for m in Metric.objects.filter(code__in=["loans", "dda", "conversations", "won-revenue"])
        }
        targets = []
        for r, rm in enumerate(rms):
            base = baselines[r]
            targets += [
                Target(user=rm, metric=metrics["loans"], year=year, value=base * Decimal("1.1"), baseline=base),
                Target(user=rm, metric=metrics["dda"], year=year, value=Decimal(2_000_000),
                       baseline=Decimal(1_800_000)),
                Target(user=rm, metric=metrics["conversations"], year=year, value=Decimal(15 * 46)),
                Target(user=rm, metric=metrics["won-revenue"], year=year, value=Decimal(600_000),
                       distribution=seasonal),
            ]  # fmt: skip
        counts["targets"] = len(Target.objects.bulk_create(targets, batch_size=5000))
        plans = Plan.objects.bulk_create(
            Plan(owner=rm, year=year, due_date=default_due_date(year)) for rm in rms
        )
        PlanSection.objects.bulk_create(
            (PlanSection(plan=p, key=k) for p in plans for k in SectionKey.values), batch_size=5000
        )
        counts["plans"] = len(plans)
        lap("targets and plans")

        monday = today - datetime.timedelta(days=today.weekday())
        checkpoints = []
        for r, rm in enumerate(rms):
            leader = leaders[r // RMS_PER_TEAM]
            for w in range(WEEKS):
                day = monday - datetime.timedelta(weeks=WEEKS - 1 - w)
                iso = day.isocalendar()
                at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))
                past = day < monday
                status = (CheckpointStatus.SCHEDULED if not past else
                          CheckpointStatus.HELD if rng.random() < 0.93 else CheckpointStatus.SKIPPED)  # fmt: skip
                checkpoints.append(Checkpoint(
                    rm=rm, leader=leader, kind=CheckpointKind.WEEKLY, period=f"{iso[0]}-W{iso[1]:02d}",
                    scheduled_at=at, originally_at=at, status=status,
                    held_at=at if status == CheckpointStatus.HELD else None,
                    opened_at=at if status == CheckpointStatus.HELD else None,
                    reason="Congés" if status == CheckpointStatus.SKIPPED else "",
                ))  # fmt: skip
        counts["checkpoints"] = len(Checkpoint.objects.bulk_create(checkpoints, batch_size=5000))
        lap("checkpoints")
    lap("commit (deferred foreign-key checks)")
    with connection.cursor() as c:
        # What autovacuum does to a production database after a bulk load: the visibility map and the rows'
        # hint bits set once, rather than by the first page views of the measurements (seconds-long outliers).
        c.execute("VACUUM ANALYZE")
    lap("vacuum and analyze")
    return {"counts": counts, "seconds": timings, "total_seconds": round(sum(timings.values()), 1)}


if __name__ == "__main__":
    from bench.db import django_setup

    django_setup()
    print(json.dumps(generate()))
