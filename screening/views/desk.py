"""Front-desk pages: the day's board."""

import datetime

from django.shortcuts import render
from django.utils import timezone

from screening.models import Intake
from screening.permissions import Perm, require_perm


def _day_from(request) -> datetime.date:
    raw = request.GET.get("day", "")
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()


@require_perm(Perm.VIEW_BOARD)
def board(request):
    day = _day_from(request)
    intakes = (
        Intake.objects.select_related("patient", "practitioner")
        .filter(appointment_at__date=day)
        .order_by("appointment_at", "pk")
    )
    return render(request, "screening/desk/board.html", {"day": day, "intakes": intakes})
