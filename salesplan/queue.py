"""Putting work on the Celery queue from a request without depending on the broker being up.

The work itself is always a database row first (an import job, an invitation request, a due reminder), so a
message that could not be sent is not lost: a periodic task enqueues what is still waiting once the broker
is back. A page therefore never fails, nor waits long, because the broker is down.
"""

import logging
from dataclasses import dataclass

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, ConnectionError, OSError)


def enqueue(task: Task, *args) -> bool:
    """Send `task` with `args` now, without retrying; False (and a warning in the log) if the broker is down."""
    try:
        task.apply_async(args, retry=False)
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable, %s%r not enqueued: %s", task.name, args, exc)
        return False
    return True


@dataclass
class Enqueued:
    """The outcome of `enqueue_on_commit`: None until the transaction commits, then whether it was sent."""

    sent: bool | None = None


def enqueue_on_commit(task: Task, *args) -> Enqueued:
    """Send `task` once the current transaction commits (at once outside one); see `enqueue`."""
    outcome = Enqueued()

    def send() -> None:
        outcome.sent = enqueue(task, *args)

    transaction.on_commit(send)
    return outcome
