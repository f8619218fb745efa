"""The FHIR API's views: read the Questionnaire and its code systems, read and search the
QuestionnaireResponses of submitted intakes, search the RiskAssessments of one patient.

Every call, refused ones included, writes one audit event naming the integration (never the
query's values, which could hold identifiers).
"""

from __future__ import annotations

import datetime
import uuid

from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from screening import fhir, selectors
from screening.api.errors import BadSearch
from screening.api.pagination import BundlePagination
from screening.api.renderers import FhirOnlyNegotiation
from screening.models import Intake
from screening.services.audit import audit_record

INTEGRATION_ROLE = "integration"
# The intakes whose answers were sent: the ones that have a QuestionnaireResponse.
SUBMITTED = (Intake.Status.SUBMITTED, Intake.Status.REVIEWED, Intake.Status.SIGNED)
# Parameters any FHIR search may carry that change nothing here.
_IGNORED = frozenset({"_format", "_pretty"})


class FhirView(APIView):
    """GET only, FHIR JSON only, one audit event per call."""

    http_method_names = ["get", "head"]
    content_negotiation_class = FhirOnlyNegotiation
    resource_type = ""
    interaction = "read"

    def initial(self, request, *args, **kwargs):
        self.audit_intake = None
        self.audit_count = None
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        self._audit(request, response.status_code)
        return response

    def _audit(self, request, status_code: int) -> None:
        api_token = getattr(request, "auth", None) or getattr(request, "presented_token", None)
        detail = {
            "integration": api_token.name if api_token is not None else "",
            "resource": self.resource_type,
            "interaction": self.interaction,
            "status": status_code,
        }
        if getattr(self, "audit_count", None) is not None:
            detail["count"] = self.audit_count
        audit_record(
            actor=None,
            actor_role=INTEGRATION_ROLE,
            action="api.refused" if status_code in (401, 403) else "api.request",
            request=request,
            intake=getattr(self, "audit_intake", None),
            obj=api_token,
            detail=detail,
        )


def _check_parameters(request, allowed: set[str]) -> None:
    unknown = set(request.query_params) - allowed - _IGNORED
    if unknown:
        supported = f"Supported: {', '.join(sorted(allowed))}." if allowed else "None is."
        raise BadSearch(f"Unsupported parameter: {sorted(unknown)[0]}. {supported}")


def _submitted_intakes():
    # An erased record (retention period over) has nothing left to send.
    return Intake.objects.filter(
        status__in=SUBMITTED, submitted_at__isnull=False, patient__erased_at__isnull=True
    ).select_related("patient")


class QuestionnaireRead(FhirView):
    resource_type = "Questionnaire"

    def get(self, request, resource_id: str):
        _check_parameters(request, set())
        if resource_id != fhir.QUESTIONNAIRE_ID:
            raise exceptions.NotFound("No Questionnaire has this id.")
        return Response(fhir.questionnaire())


class Capabilities(FhirView):
    resource_type = "CapabilityStatement"

    def get(self, request):
        _check_parameters(request, set())
        return Response(fhir.capability_statement())


class CodeSystemRead(FhirView):
    resource_type = "CodeSystem"

    def get(self, request, resource_id: str):
        _check_parameters(request, set())
        build = fhir.CODE_SYSTEMS.get(resource_id)
        if build is None:
            raise exceptions.NotFound("No CodeSystem has this id.")
        return Response(build())


class QuestionnaireResponseRead(FhirView):
    resource_type = "QuestionnaireResponse"

    def get(self, request, resource_id: str):
        _check_parameters(request, set())
        try:
            public_id = uuid.UUID(resource_id)
        except ValueError:
            raise exceptions.NotFound("No QuestionnaireResponse has this id.") from None
        intake = _submitted_intakes().filter(public_id=public_id).first()
        if intake is None:
            raise exceptions.NotFound("No QuestionnaireResponse has this id.")
        self.audit_intake = intake
        return Response(fhir.questionnaire_response(intake))


class QuestionnaireResponseSearch(FhirView):
    resource_type = "QuestionnaireResponse"
    interaction = "search"

    def get(self, request):
        _check_parameters(request, {"_lastUpdated", "_count", "_page"})
        intakes = _submitted_intakes()
        for value in request.query_params.getlist("_lastUpdated"):
            intakes = intakes.filter(**_last_updated_filter(value))
        paginator = BundlePagination()
        page = paginator.paginate_queryset(intakes, request, view=self)
        thresholds = selectors.clinic_thresholds()
        entries = [
            {
                "fullUrl": request.build_absolute_uri(
                    reverse("fhir:questionnaire_response", args=[str(intake.public_id)])
                ),
                "resource": fhir.questionnaire_response(intake, thresholds=thresholds),
                "search": {"mode": "match"},
            }
            for intake in page
        ]
        self.audit_count = len(entries)
        return paginator.bundle(request, entries)


class RiskAssessmentSearch(FhirView):
    resource_type = "RiskAssessment"
    interaction = "search"

    def get(self, request):
        _check_parameters(request, {"subject", "patient", "_count", "_page"})
        values = request.query_params.getlist("subject") + request.query_params.getlist("patient")
        if len(values) != 1:
            raise BadSearch("Give one subject: subject=Patient/<id>, the id from the response.")
        patient_id = _patient_id(values[0])
        intakes = _submitted_intakes().filter(patient__public_id=patient_id)
        paginator = BundlePagination()
        page = paginator.paginate_queryset(intakes, request, view=self)
        entries = []
        for intake in page:
            resource = fhir.risk_assessment(intake)
            if resource is not None:
                entries.append(
                    {
                        "fullUrl": f"urn:uuid:{resource['id']}",
                        "resource": resource,
                        "search": {"mode": "match"},
                    }
                )
        self.audit_count = len(entries)
        return paginator.bundle(request, entries)


class UnknownResource(FhirView):
    """Anything else under /api/fhir/: an OperationOutcome 404, not the site's HTML page."""

    resource_type = "unknown"

    def get(self, request, rest: str = ""):
        raise exceptions.NotFound("This server has no such resource or operation.")


def _patient_id(value: str) -> uuid.UUID:
    text = value.removeprefix("Patient/")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise BadSearch("subject must be Patient/<id>, the patient id the server gave.") from None


_PREFIXES = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def _last_updated_filter(value: str) -> dict:
    """``_lastUpdated=gt2026-12-01T10:00:00Z`` as a queryset filter (gt, ge, lt, le; a date
    without a time means its first instant, in UTC)."""
    prefix, text = value[:2], value[2:]
    if prefix not in _PREFIXES:
        raise BadSearch(
            "_lastUpdated needs a prefix: gt, ge, lt or le, e.g. gt2026-12-01T10:00:00Z."
        )
    moment = _parse_instant(text)
    return {f"updated_at__{_PREFIXES[prefix]}": moment}


def _parse_instant(text: str) -> datetime.datetime:
    try:
        if "T" in text:
            moment = parse_datetime(text)
        else:
            day = parse_date(text)
            moment = day and datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    except ValueError:
        moment = None
    if moment is None:
        raise BadSearch("_lastUpdated must be a date or an instant, e.g. gt2026-12-01T10:00:00Z.")
    if moment.tzinfo is None:
        raise BadSearch("_lastUpdated needs a time zone, e.g. 2026-12-01T10:00:00Z.")
    return moment
