"""A course of care (issue 17): the consent that covers a later visit of the same course.

A signed consent covers the patient's later visits while its scope holds (screening/engine/
course.py); this reads the consents and intakes to answer "Consent in place" or "New consent
needed", with the reasons."""

from __future__ import annotations

import dataclasses
import datetime

from django.utils import timezone

from screening import documents, selectors
from screening.engine import course, regions
from screening.models import ClinicSettings, Intake

_COURSE_CONSENT_FIELDS = (
    "id",
    "status",
    "signed_at",
    "valid_until",
    "consent_text_version",
    "intake_id",
    "intake__patient_id",
    "screening__plan",
    "screening__findings",
)


def course_consents(patient_ids):
    """{patient id: their most recent signed consent, from any visit} in one query. Only a
    visit that still stands signed counts: one reopened (its decision under review again) or
    cancelled afterwards covers nothing."""
    from screening.models import Consent

    latest = {}
    consents = (
        Consent.objects.filter(
            intake__patient_id__in=list(patient_ids),
            intake__status=Intake.Status.SIGNED,
            status=Consent.Status.SIGNED,
            signed_at__isnull=False,
        )
        .select_related("screening", "intake")
        .only(*_COURSE_CONSENT_FIELDS)
        .order_by("-signed_at", "-pk")
    )
    for consent in consents:
        latest.setdefault(consent.intake.patient_id, consent)
    return latest


def consent_scope(consent, *, valid_months: int | None = None) -> course.ConsentScope:
    """What a signed consent covers: its screening's plan and flags, its text's version and its
    last day (stored when it was signed; for an older consent, the clinic's setting)."""
    plan = consent.screening.plan or {}
    signed_on = timezone.localtime(consent.signed_at).date()
    valid_until = consent.valid_until
    if valid_until is None:
        months = valid_months or ClinicSettings.load().consent_valid_months
        valid_until = course.add_months(signed_on, months)
    return course.ConsentScope(
        signed_on=signed_on,
        valid_until=valid_until,
        text_version=consent.consent_text_version,
        techniques=frozenset(plan.get("techniques") or ()),
        regions=regions.expand(
            [r for r in plan.get("regions") or () if regions.is_region_or_alias(r)]
        ),
        flags=course.flag_levels(consent.screening.findings),
    )


@dataclasses.dataclass(frozen=True)
class ConsentCover:
    """Whether a visit is covered by a signed consent: this visit's own, or the course's."""

    consent: object | None
    gaps: tuple[course.Gap, ...] = ()
    signed_on: datetime.date | None = None
    valid_until: datetime.date | None = None
    own: bool = False

    @property
    def in_place(self) -> bool:
        return self.consent is not None and not self.gaps

    @property
    def label(self) -> str:
        if self.consent is None:
            return "No consent yet"
        if self.gaps:
            return "New consent needed"
        return f"Consent in place (signed {self.signed_on.day} {self.signed_on:%b %Y})"


def consent_cover(
    intake: Intake, *, consent=None, flags: dict | None = None, today=None
) -> ConsentCover:
    """Does the patient's latest signed consent cover this visit as it is planned now?

    Judged on the day of the appointment (a consent that ends before it does not cover it),
    unless ``today`` says otherwise. ``consent`` (from ``course_consents``) and ``flags``
    ({item: level}, e.g. from the intake's ``latest_flags``) spare the queries when the caller
    has them.
    """
    if consent is None:
        consent = course_consents([intake.patient_id]).get(intake.patient_id)
    if consent is None:
        return ConsentCover(None)
    if flags is None:
        flags = course.flag_levels(intake.latest_flags)
    scope = consent_scope(consent)
    gaps = course.consent_gaps(
        scope,
        today=today or timezone.localtime(intake.appointment_at).date(),
        text_version=documents.CONSENT_TEXT_VERSION,
        techniques=intake.plan_techniques,
        region_ids=intake.plan_regions,
        flags=flags,
    )
    return ConsentCover(
        consent,
        tuple(gaps),
        signed_on=scope.signed_on,
        valid_until=scope.valid_until,
        own=consent.intake_id == intake.pk,
    )


def consent_in_force(intake: Intake):
    """The signed consent that covers this visit: its own, or the course's while it covers the
    visit's plan and risks, once the practitioner has cleared this visit (a visit not yet
    screened, or not cleared, is covered by nothing); None otherwise. The consent carries its
    screening's plan."""
    own = selectors.signed_consent(intake)
    if own is not None:
        return own
    if not documents.documents_available(intake)[0]:
        return None
    cover = consent_cover(intake)
    return cover.consent if cover.in_place else None
