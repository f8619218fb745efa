"""Search results as a FHIR ``searchset`` Bundle, paged by DRF's cursor pagination (stable
while new resources arrive between pages)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from screening.api.errors import BadSearch

DEFAULT_COUNT = 50
MAX_COUNT = 100


class BundlePagination(CursorPagination):
    ordering = ("updated_at", "id")
    page_size = DEFAULT_COUNT
    max_page_size = MAX_COUNT
    cursor_query_param = "_page"
    page_size_query_param = "_count"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            count = int(raw)
        except ValueError:
            raise BadSearch(f"_count must be a whole number from 1 to {MAX_COUNT}.") from None
        if count < 1:
            raise BadSearch(f"_count must be a whole number from 1 to {MAX_COUNT}.")
        # FHIR lets a server return fewer than asked: more than the maximum pages at the maximum.
        return min(count, MAX_COUNT)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise BadSearch("The _page value is not one this server gave out.") from None

    def bundle(self, request, entries: list[dict]) -> Response:
        links = [{"relation": "self", "url": request.build_absolute_uri()}]
        next_link = self.get_next_link()
        if next_link:
            links.append({"relation": "next", "url": next_link})
        previous_link = self.get_previous_link()
        if previous_link:
            links.append({"relation": "previous", "url": previous_link})
        bundle = {"resourceType": "Bundle", "type": "searchset", "link": links}
        if entries:  # FHIR JSON has no empty arrays
            bundle["entry"] = entries
        return Response(bundle)
