"""Who may do what: the roles, the one role -> permission table, and the one intake loader.

Views ask for a permission (``require_perm``), never for a role name; templates receive the
user's permissions (``perms_for``). Reaching an intake goes through ``access_intake_for_staff``
or ``access_intake_for_patient``, which answer 404 alike for "missing" and "not yours".
"""

from __future__ import annotations

from enum import StrEnum
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from screening import selectors
from screening.compiled import CompiledQuery
from screening.models import ClinicSettings, Intake, IntakeLink
from screening.roles import Role


class Perm(StrEnum):
    VIEW_BOARD = "view_board"  # the day's appointments with status and next action
    MANAGE_INTAKES = "manage_intakes"  # create an intake, issue a link, hand over a tablet
    VIEW_CLINICAL = "view_clinical"  # answers, screening findings, plans
    REVIEW = "review"  # plan, resolve flags, decide, reopen
    PRINT_DOCUMENTS = "print_documents"  # consent and aftercare PDFs
    COLLECT_SIGNATURES = "collect_signatures"  # tablet signing, record a paper signature
    COSIGN_CONSENT = "cosign_consent"  # the practitioner's signature on a consent
    MANAGE_CLINIC = "manage_clinic"  # clinic details and screening thresholds
    MANAGE_STAFF = "manage_staff"  # staff accounts and roles
    VIEW_AUDIT = "view_audit"  # the audit trail
    OWN_ACCOUNT = "own_account"  # change one's own password
    RECORD_TREATMENT = "record_treatment"  # treatment record, adverse events, aftercare calls
    AFTERCARE_CALLS = "aftercare_calls"  # the desk's list of 48-hour checks to phone
    VIEW_SAFETY_REPORT = "view_safety_report"  # clinic-wide adverse-event rates, no answers
    EXPORT_DATA = "export_data"  # intakes as CSV, a patient's own record as a ZIP
    MANAGE_INTEGRATIONS = "manage_integrations"  # API tokens of the FHIR integrations


# The table. Any change to who may do what is a change to these lines, and shows in review.
ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.FRONT_DESK: frozenset(
        {
            Perm.VIEW_BOARD,
            Perm.MANAGE_INTAKES,
            Perm.PRINT_DOCUMENTS,
            Perm.COLLECT_SIGNATURES,
            Perm.AFTERCARE_CALLS,
            Perm.OWN_ACCOUNT,
        }
    ),
    Role.PRACTITIONER: frozenset(
        {
            Perm.VIEW_BOARD,
            Perm.MANAGE_INTAKES,
            Perm.VIEW_CLINICAL,
            Perm.REVIEW,
            Perm.PRINT_DOCUMENTS,
            Perm.COLLECT_SIGNATURES,
            Perm.COSIGN_CONSENT,
            Perm.RECORD_TREATMENT,
            Perm.AFTERCARE_CALLS,
            Perm.OWN_ACCOUNT,
        }
    ),
    Role.CLINIC_ADMIN: frozenset(
        {
            Perm.VIEW_BOARD,
            Perm.MANAGE_INTAKES,
            Perm.MANAGE_CLINIC,
            Perm.MANAGE_STAFF,
            Perm.VIEW_AUDIT,
            Perm.VIEW_SAFETY_REPORT,
            Perm.EXPORT_DATA,
            Perm.MANAGE_INTEGRATIONS,
            Perm.OWN_ACCOUNT,
        }
    ),
}

# Where each user lands after login: the first entry whose permission they hold.
HOME_BY_PERMISSION: tuple[tuple[Perm, str], ...] = (
    (Perm.REVIEW, "review:queue"),
    (Perm.MANAGE_CLINIC, "manage:settings"),
    (Perm.VIEW_BOARD, "desk:board"),
)


def second_factor_required(user) -> bool:
    """True while a signed-in staff member has not given their second factor in this session.

    ``is_verified`` is installed on the user by django-otp's middleware; a user object that did
    not come through a request counts as not verified.
    """
    if not settings.STAFF_2FA or not getattr(user, "is_authenticated", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified is not None and is_verified())


def perms_for(user) -> frozenset[Perm]:
    """Every permission the user holds; none for anonymous or inactive users, and none before
    the second factor."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if second_factor_required(user):
        return frozenset()
    return ROLE_PERMISSIONS.get(getattr(user, "role", ""), frozenset())


def has_perm(user, perm: Perm) -> bool:
    return perm in perms_for(user)


def home_url_name(user) -> str | None:
    held = perms_for(user)
    for perm, url_name in HOME_BY_PERMISSION:
        if perm in held:
            return url_name
    return None


def _redirect_with_next(url_name: str, request) -> HttpResponseRedirect:
    query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
    return HttpResponseRedirect(f"{reverse(url_name)}?{query}")


def redirect_to_second_factor(request) -> HttpResponseRedirect:
    """To enrolment or verification of the second factor, then back to this page."""
    return _redirect_with_next("accounts:two_factor", request)


def staff_gate(request, perm: Perm | None = None) -> HttpResponseRedirect | None:
    """Where a signed-in staff member must go before any staff page: the second factor, then a
    new password after an admin's reset; None when nothing stands in the way."""
    if second_factor_required(request.user):
        return redirect_to_second_factor(request)
    if getattr(request.user, "must_change_password", False) and perm != Perm.OWN_ACCOUNT:
        return _redirect_with_next("accounts:password_change", request)
    return None


def require_perm(perm: Perm):
    """Decorator: anonymous -> sign-in page; signed in without the second factor -> its page;
    a password reset by an admin -> a new password first; without ``perm`` -> 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            gate = staff_gate(request, perm)
            if gate is not None:
                return gate
            if not has_perm(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm
        return wrapped

    return decorator


def access_intake_for_staff(user, public_id, perm: Perm, *, for_update: bool = False):
    """The intake with this public id if ``user`` holds ``perm``; 404 otherwise.

    The clinic is one organisation, so every staff member with the permission may reach every
    intake; the 404 covers ids that do not exist or do not parse.
    """
    if not has_perm(user, perm):
        raise PermissionDenied
    # An erased record (retention period over) is no longer anyone's to open.
    queryset = Intake.objects.select_related("patient", "practitioner").filter(
        patient__erased_at__isnull=True
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        intake = queryset.annotate(settings_updated_at=ClinicSettings.updated_at_subquery()).get(
            public_id=public_id
        )
    except (Intake.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    # The clinic settings' time of change came with the intake: this process's copy of the
    # settings serves the request when it is current (ClinicSettings.offer_updated_at).
    ClinicSettings.offer_updated_at(intake.settings_updated_at)
    return intake


PATIENT_SESSION_KEY = "patient_intake"


class PatientLinkGone(Exception):
    """The patient's session reached its intake, but may not go on: ``reason`` is "replaced"
    (a newer link was made), "cancelled" (the appointment was) or "closed" (the answers were
    sent more than a day ago). The patient views answer 410 with a page that says so."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# What a session learns on its next request; a locked link stays a 404 here (the identity
# check shows the locked page), and a link past its lifetime does not end a session in use.
_SESSION_ENDING_PROBLEMS = frozenset({"replaced", "cancelled", "closed"})


def _patient_link_query(*, for_update: bool) -> CompiledQuery:
    """The session's link with its intake and patient, and the clinic settings' time of
    change; compiled once (screening.compiled), as it runs on every patient page."""

    def build(*, link, intake):
        links = IntakeLink.objects.select_related("intake__patient")
        if for_update:
            links = links.select_for_update(of=("intake",))
        return (
            links.annotate(settings_updated_at=ClinicSettings.updated_at_subquery())
            .filter(pk=link, intake_id=intake)
            .order_by()[:1]
        )

    return CompiledQuery(IntakeLink, build, "link", "intake")


_PATIENT_LINK = _patient_link_query(for_update=False)
_PATIENT_LINK_FOR_UPDATE = _patient_link_query(for_update=True)


def access_intake_for_patient(
    request, public_id, *, require_verified: bool = True, for_update: bool = False
):
    """The one intake this browser's patient session reaches, or 404.

    The session holds the intake's id, the link's id (none for a tablet hand-over) and whether
    the date of birth was confirmed. Another intake's id, a locked link, or an unconfirmed
    identity all answer 404, never 403. A link replaced by a newer one, a cancelled appointment
    and answers sent more than a day ago (on a link) raise ``PatientLinkGone`` instead, checked
    on every request, so the patient learns it on their next tap.

    One query: the link with its intake and patient, and the clinic settings' ``updated_at``
    (so that the request reuses this process's copy of the settings when it is current). With
    ``for_update`` (inside the caller's transaction) the intake row is locked by that same
    query, so a page of answers is checked and stored without reading the intake twice.
    """
    state = request.session.get(PATIENT_SESSION_KEY)
    if not isinstance(state, dict):
        raise Http404
    link = None
    try:
        if state.get("link") is not None:
            query = _PATIENT_LINK_FOR_UPDATE if for_update else _PATIENT_LINK
            link = query.first(link=int(state["link"]), intake=int(state.get("intake")))
            if link is None:
                raise Http404
            intake = link.intake
            ClinicSettings.offer_updated_at(link.settings_updated_at)
        else:
            intakes = Intake.objects.select_related("patient")
            if for_update:
                intakes = intakes.select_for_update(of=("self",))
            intake = intakes.annotate(settings_updated_at=ClinicSettings.updated_at_subquery()).get(
                pk=state.get("intake")
            )
            ClinicSettings.offer_updated_at(intake.settings_updated_at)
    except (Intake.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if str(intake.public_id) != str(public_id):
        raise Http404
    problem = selectors.link_problem(link, intake)
    if problem in _SESSION_ENDING_PROBLEMS:
        raise PatientLinkGone(problem)
    if problem == "locked":
        raise Http404
    if require_verified and not state.get("verified"):
        raise Http404
    return intake, state
