"""Writes to the organisation: profiles and invitations."""

from datetime import datetime

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from salesplan.queue import Enqueued, enqueue_on_commit

from .models import Role, User


def profile_update(*, user: User, display_name: str, language: str, time_zone: str) -> User:
    """A person changes their own display name, language and time zone."""
    user.display_name = display_name
    user.language = language
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "language", "time_zone"])
    return user


def language_set(*, user: User, language: str) -> None:
    """Remember the language a logged-in person picked in the navigation."""
    if user.language != language:
        user.language = language
        user.full_clean(exclude=["password"])
        user.save(update_fields=["language"])


def user_invite(*, user: User, by: User, now: datetime) -> Enqueued:
    """Ask for an invitation e-mail to be sent to `user` (who then sets their own password).

    Only an admin invites. The e-mail itself is sent by a Celery task once the request is committed;
    asking again before it went out still sends one e-mail. The request is a row (`invitation_requested_at`):
    when the broker is down (the result's `sent` is False) `invitations_requeue` sends the task later.
    """
    if by.role != Role.ADMIN:
        raise PermissionDenied("Only an administrator can invite users.")
    from .tasks import invitation_send  # tasks import services: import here to keep the cycle one-way

    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(invitation_requested_at=now)
        return enqueue_on_commit(invitation_send, user.pk)


def invitation_send(*, user_id: int, base_url: str, now: datetime) -> bool:
    """Send the invitation requested for a user, once per request; return whether an e-mail went out.

    The row is locked while sending, so two deliveries of the same task cannot both send: the second
    finds `invitation_sent_at` already at or after the request and does nothing.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or user.invitation_requested_at is None:
            return False
        if user.invitation_sent_at and user.invitation_sent_at >= user.invitation_requested_at:
            return False
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = base_url.rstrip("/") + reverse("accounts:password-reset-confirm", args=[uid, token])
        with translation.override(user.language):
            subject = render_to_string("accounts/email/invitation_subject.txt", {"user": user}).strip()
            body = render_to_string("accounts/email/invitation_body.txt", {"user": user, "link": link})
        send_mail(subject, body, None, [user.email])
        user.invitation_sent_at = now
        user.save(update_fields=["invitation_sent_at"])
    return True
