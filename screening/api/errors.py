"""Every API error as a FHIR OperationOutcome with the HTTP status that fits."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

# HTTP status -> FHIR issue type (http://hl7.org/fhir/issue-type).
_ISSUE_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "login",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not-found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "not-supported",
    status.HTTP_406_NOT_ACCEPTABLE: "not-supported",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "not-supported",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


class BadSearch(exceptions.ValidationError):
    """A search parameter the server does not support, or a value it cannot read."""


def operation_outcome(http_status: int, message: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": _ISSUE_CODES.get(http_status, "exception"),
                "diagnostics": message,
            }
        ],
    }


def _message(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_message(part) for part in detail)
    if isinstance(detail, dict):
        return " ".join(_message(part) for part in detail.values())
    return str(detail)


def fhir_exception_handler(exc, context):
    """DRF's handler (which also turns Http404 and PermissionDenied into API errors), with
    the body replaced by an OperationOutcome; None (a real 500) for anything else."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", None) or response.data.get("detail", "")
    if response.status_code == status.HTTP_404_NOT_FOUND and not isinstance(
        exc, exceptions.NotFound
    ):
        detail = "Not found."
    return Response(
        operation_outcome(response.status_code, _message(detail)),
        status=response.status_code,
        headers={key: value for key, value in response.items()},
    )
