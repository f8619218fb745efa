"""The staff roles. Their own module so that both the user model and the permission table
can import them without importing each other."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front desk")
    PRACTITIONER = "practitioner", _("Practitioner")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")
