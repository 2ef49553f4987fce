"""Background work of the accounts app. Each task takes ids, calls one service and is safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.management import call_command
from django.db.models import F, Q
from django.utils import timezone

from salesplan.queue import enqueue

from . import services
from .models import User

REQUEUE_AFTER = timedelta(minutes=10)  # an invitation still unsent after this has lost its message


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def invitation_send(user_id: int) -> bool:
    """Send a user's pending invitation e-mail (at most one per request, however often delivered)."""
    return services.invitation_send(user_id=user_id, base_url=settings.SITE_URL, now=timezone.now())


@shared_task
def sessions_clear_expired() -> None:
    """Delete expired sessions (Django's clearsessions); running it twice leaves the same table."""
    call_command("clearsessions")


@shared_task
def invitations_requeue() -> int:
    """Send again the task of each invitation requested a while ago and still not e-mailed (the broker was
    down when it was asked for); `invitation_send` e-mails each request once, however often it runs."""
    pending = User.objects.filter(
        Q(invitation_sent_at__isnull=True) | Q(invitation_sent_at__lt=F("invitation_requested_at")),
        is_active=True,
        invitation_requested_at__lt=timezone.now() - REQUEUE_AFTER,
    ).values_list("pk", flat=True)
    return sum(enqueue(invitation_send, pk) for pk in pending)
