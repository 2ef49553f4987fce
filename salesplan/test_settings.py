"""Settings for the test suite: the real settings, plus the test-only choices below.

The database: DATABASE_URL when set; otherwise PostgreSQL on 127.0.0.1:5432 when it answers (the
suite runs against a real server whenever one is there), else a SQLite file. The report header of
pytest says which was used.
"""

import os
import socket

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghijklmnop")
os.environ.setdefault("DEBUG", "false")


def _postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if "DATABASE_URL" not in os.environ:
    if _postgres_reachable():
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/salesplan"
        TEST_DATABASE_CHOICE = "PostgreSQL at 127.0.0.1:5432 (reachable; DATABASE_URL unset)"
    else:
        TEST_DATABASE_CHOICE = "SQLite file (PostgreSQL at 127.0.0.1:5432 not reachable; DATABASE_URL unset)"
else:
    TEST_DATABASE_CHOICE = "DATABASE_URL from the environment"

from .settings import *  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker process can open the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-salesplan.sqlite3")}

# Plain storage: the manifest needs collectstatic, and live_server must serve CSS as it is.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Tests run over plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Hashing is not under test; fast hashing keeps factories cheap.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
LOGGING["root"]["level"] = "WARNING"
# Each test process keeps its own cache, even when REDIS_URL is set: parallel workers must not share
# login-throttle counters.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
