"""Background work of the accounts app. Each task takes ids, calls one service and is safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from . import services


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def invitation_send(user_id: int) -> bool:
    """Send a user's pending invitation e-mail (at most one per request, however often delivered)."""
    return services.invitation_send(user_id=user_id, base_url=settings.SITE_URL, now=timezone.now())


@shared_task
def sessions_clear_expired() -> None:
    """Delete expired sessions (Django's clearsessions); running it twice leaves the same table."""
    call_command("clearsessions")
