"""Constraints that hold on every database the app runs on (PostgreSQL, and SQLite for `make run`)."""

from django.apps import apps
from django.db.models import UniqueConstraint


def test_no_unique_constraint_is_left_out_on_sqlite():
    """Django does not create a unique constraint with `include` on a database without covering indexes:
    on SQLite the rule would silently be gone. Carry columns in a plain Index instead (SQLite builds it
    without them)."""
    skipped = [
        f"{model.__name__}.{constraint.name}"
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint) and constraint.include
    ]
    assert skipped == []
