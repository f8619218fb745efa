"""Every API answer is FHIR JSON, whatever the client's Accept header says."""

from __future__ import annotations

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer


class FhirJsonRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "json"
    charset = "utf-8"


class FhirOnlyNegotiation(BaseContentNegotiation):
    """One representation: never a 406, and ``_format`` or Accept cannot pick another."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
