"""Configuration comes from the environment; production settings pass Django's deployment checks."""

import os
import subprocess
import sys

from django.conf import settings

from salesplan.settings import BASE_DIR


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    test_only = {"DATABASE_URL", "DEBUG", "SECRET_KEY", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in test_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "salesplan.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_reports_nothing_with_production_values():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k8Jw2-x!hQ9zP4mV7rT0sYbN3cL6fE1aD5gU8iO2pK9jH4lZ7xC0vB3nM6qW1eR5tY8u",
        ALLOWED_HOSTS="salesplan.bank.example",
        DATABASE_URL="postgres://salesplan@db.bank.example:5432/salesplan",
        REDIS_URL="redis://cache.bank.example:6379/0",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.bank.example:587",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_run_without_a_secret_key():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    # Anything that signs (sessions, password reset links) stops with Django's own error.
    signing = _manage("shell", "-c", "from django.core import signing; signing.dumps(1)", DEBUG="false")
    assert signing.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in signing.stderr


def test_migrations_can_be_checked_without_any_secret():
    result = _manage("makemigrations", "--check", "--dry-run", DEBUG="false")
    assert result.returncode == 0, result.stderr


def test_embedded_defaults_need_no_server():
    result = _manage(
        "shell", "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)",
        DEBUG="true",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["django.db.backends.sqlite3", "filesystem://"]


def test_i18n_is_wired():
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE
    assert [code for code, _ in settings.LANGUAGES] == ["en", "fr"]
