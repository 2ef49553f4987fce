"""SalesPlan settings, read only from environment variables.

Every variable has an embedded default that runs on one machine with nothing installed: a SQLite file
and Celery over kombu's filesystem transport. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and EMAIL_URL; see README.md ("Configuration") for the full list.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # runtime files of the embedded defaults (SQLite, broker folders), git-ignored

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_INSECURE_DEV_KEY = "django-insecure-salesplan-development-key-never-use-in-production"
# Without DEBUG there is no default: Django itself refuses an empty SECRET_KEY wherever one is needed
# (sessions, signing, `check --deploy`), while commands that sign nothing (e.g. makemigrations) still run.
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY if DEBUG else "")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    # Our apps; dependencies point one way: coaching -> kpis -> targeting -> accounts.
    "accounts",
    "targeting",
    "kpis",
    "coaching",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Every page needs a login unless its view is decorated with login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "salesplan.urls"
WSGI_APPLICATION = "salesplan.wsgi.application"
ASGI_APPLICATION = "salesplan.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'salesplan.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat all write: WAL and IMMEDIATE transactions avoid "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and authentication ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SalesPlan <salesplan@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in e-mails sent from background tasks, where there is no request to build them from.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Security (production defaults; DEBUG turns the HTTPS-only ones off for local work) -------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Forms ----------------------------------------------------------------------------------------
# Covering indexes (an index carrying a column it does not sort by) are PostgreSQL's: SQLite builds the same
# index without the carried column, which is all `make run` needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
FORM_RENDERER = (
    "salesplan.renderers.FormRenderer"  # Django's, with <select> written without a template per option
)
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Cache ----------------------------------------------------------------------------------------
# Shared by every process: the login throttle counts failures across web processes, and an import job's
# worker writes its progress there for the web page to read (the import itself is one transaction). With
# REDIS_URL set, the cache is Redis; without it, files under var/cache, shared by the processes of one
# machine (`make run`'s web, worker and beat).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Login throttle (accounts/throttle.py) -------------------------------------------------------------
LOGIN_FAILURES_PER_EMAIL = env.int("LOGIN_FAILURES_PER_EMAIL", default=5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=20)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=15 * 60)  # seconds; also the lock-out time

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
# Seconds before a message taken but not acknowledged (its worker was killed) is delivered again. Keep it
# above the longest task and every countdown; tests lower it to see a redelivery within seconds.
REDIS_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
_RESTORE_EVERY = 1 if REDIS_VISIBILITY_TIMEOUT < 60 else 10  # kombu looks for such messages every N × N s
REDIS_TRANSPORT_OPTIONS = {
    "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": _RESTORE_EVERY,
    "unacked_restore_throttle": _RESTORE_EVERY,
    # A page that enqueues must not hang on an unreachable broker (the work is a row, enqueued later):
    # connect within 3 s and try once more at once, instead of kombu's default of seconds of retries.
    "socket_connect_timeout": 3,
    "max_retries": 1,
    "interval_start": 0,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_TRANSPORT_OPTIONS
else:
    # Embedded broker: kombu's filesystem transport works across processes on one machine, needs no
    # server, and is at-most-once. Production uses Redis. The folders are created by the Celery app.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Written here, stored by django-celery-beat at beat start so admins see (and may pause) each entry.
CELERY_BEAT_SCHEDULE = {
    # Nightly, 03:10: delete expired sessions so the session table does not grow without bound.
    "accounts-clear-expired-sessions": {
        "task": "accounts.tasks.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=10),
        "options": {"expires": 3600},
    },
    # First day of each month, 02:30: store plan versus actual for the month that has just closed.
    "kpis-plan-actual-month-end": {
        "task": "kpis.tasks.plan_actual_month_end",
        "schedule": crontab(day_of_month=1, hour=2, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # First day of each month, 03:30, after the snapshot: notify RMs and leaders of off-track metrics.
    "coaching-offtrack-notify": {
        "task": "coaching.tasks.offtrack_notify",
        "schedule": crontab(day_of_month=1, hour=3, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # Daily, 01:15: keep checkpoints created for the coming eight weeks and the next longer ones.
    "coaching-checkpoints-schedule": {
        "task": "coaching.tasks.checkpoints_schedule",
        "schedule": crontab(hour=1, minute=15),
        "options": {"expires": 6 * 3600},
    },
    # Every 15 minutes: enqueue again the import jobs whose task never reached the broker (it was down).
    "kpis-import-jobs-requeue": {
        "task": "kpis.tasks.import_jobs_requeue",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Every 15 minutes: enqueue again the invitations whose task never reached the broker (it was down).
    "accounts-invitations-requeue": {
        "task": "accounts.tasks.invitations_requeue",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Every 10 minutes: send the checkpoint reminders that are due (each exactly once).
    "coaching-reminders-dispatch": {
        "task": "coaching.tasks.reminders_dispatch",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
