"""Practitioner pages: the review queue."""

from django.shortcuts import render

from screening.models import Intake
from screening.permissions import Perm, require_perm


@require_perm(Perm.REVIEW)
def queue(request):
    intakes = (
        Intake.objects.select_related("patient")
        .filter(status=Intake.Status.SUBMITTED)
        .order_by("appointment_at", "pk")[:100]
    )
    return render(request, "screening/review/queue.html", {"intakes": intakes})
