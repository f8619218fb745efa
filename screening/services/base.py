"""What every service shares: the errors a view shows to the user, and the intake version bump."""

from __future__ import annotations

from screening.models import Intake


class ServiceError(Exception):
    """A request that cannot be carried out; the message is fit to show to the user."""


class ConflictError(ServiceError):
    """Someone else saved the same record first."""


def bump_version(intake: Intake, *fields: str) -> None:
    """Count one more change to the intake (optimistic concurrency) and save ``fields`` with it."""
    intake.version += 1
    intake.save(update_fields=[*fields, "version", "updated_at"])
