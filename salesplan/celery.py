"""The Celery app: configuration from Django settings (CELERY_*), tasks found in each app's tasks.py."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesplan.settings")

app = Celery("salesplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """Create the embedded filesystem broker's folders; kombu does not create them itself."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _after_configure(sender, **kwargs) -> None:
    # Producers (web) and consumers (worker, beat) both need the folders before the first message.
    ensure_broker_folders()
