"""Shared actors and helpers for the whole suite.

The organisation built by `org`:

    region_a (director_a)                      region_b (director_b)
      team_a1 (leader_a1): rm_a1, rm_a1_peer     team_b1 (leader_b1): rm_b1
      team_a2 (leader_a2): rm_a2
    admin
"""

import os
import shutil
import socket
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from accounts.models import Region, Team, User
from tests.factories.accounts import (
    PASSWORD,
    AdminFactory,
    RegionFactory,
    RMFactory,
    TeamFactory,
    UserFactory,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    choice = getattr(settings, "TEST_DATABASE_CHOICE", "")
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} — {choice}"


def require(condition: bool, what: str) -> None:
    """Skip a test whose outside dependency is missing, except in CI where nothing may be skipped."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must have {what}; it is missing.")
    pytest.skip(f"needs {what}")


def redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def chromium_path() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: login-throttle counters must not leak from one test to another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Test-client requests activate a language in the test's thread: start each test in English."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Org:
    region_a: Region
    region_b: Region
    director_a: User
    director_b: User
    team_a1: Team
    team_a2: Team
    team_b1: Team
    leader_a1: User
    leader_a2: User
    leader_b1: User
    rm_a1: User
    rm_a1_peer: User
    rm_a2: User
    rm_b1: User
    admin: User


@pytest.fixture
def org(db) -> Org:
    region_a = RegionFactory(name="Region A", director=UserFactory(display_name="Director A"))
    region_b = RegionFactory(name="Region B", director=UserFactory(display_name="Director B"))
    team_a1 = TeamFactory(name="Team A1", region=region_a, leader=UserFactory(display_name="Leader A1"))
    team_a2 = TeamFactory(name="Team A2", region=region_a, leader=UserFactory(display_name="Leader A2"))
    team_b1 = TeamFactory(name="Team B1", region=region_b, leader=UserFactory(display_name="Leader B1"))
    return Org(
        region_a=region_a,
        region_b=region_b,
        director_a=region_a.director,
        director_b=region_b.director,
        team_a1=team_a1,
        team_a2=team_a2,
        team_b1=team_b1,
        leader_a1=team_a1.leader,
        leader_a2=team_a2.leader,
        leader_b1=team_b1.leader,
        rm_a1=RMFactory(team=team_a1, display_name="RM A1"),
        rm_a1_peer=RMFactory(team=team_a1, display_name="RM A1 peer"),
        rm_a2=RMFactory(team=team_a2, display_name="RM A2"),
        rm_b1=RMFactory(team=team_b1, display_name="RM B1"),
        admin=AdminFactory(display_name="The Admin"),
    )


@pytest.fixture
def rm(org) -> User:
    return org.rm_a1


@pytest.fixture
def leader(org) -> User:
    return org.leader_a1


@pytest.fixture
def director(org) -> User:
    return org.director_a


@pytest.fixture
def admin_user(org) -> User:
    return org.admin


def _logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def rm_client(client, rm):
    return _logged_in(client, rm)


@pytest.fixture
def leader_client(client, leader):
    return _logged_in(client, leader)


@pytest.fixture
def director_client(client, director):
    return _logged_in(client, director)


@pytest.fixture
def admin_client(client, admin_user):
    return _logged_in(client, admin_user)


@pytest.fixture
def password() -> str:
    return PASSWORD
