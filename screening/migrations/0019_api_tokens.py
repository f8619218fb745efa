import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def give_patients_public_ids(apps, schema_editor):
    Patient = apps.get_model("screening", "Patient")
    for patient in Patient.objects.filter(public_id__isnull=True).only("pk").iterator():
        Patient.objects.filter(pk=patient.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("screening", "0018_aftercare_check")]

    operations = [
        # The FHIR API names a patient by an opaque id: added empty, filled one uuid per row,
        # then made unique (a callable default on AddField would give every row the same one).
        migrations.AddField(
            model_name="patient",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_patients_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="patient",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="integration name")),
                ("token_hash", models.CharField(editable=False, max_length=64, unique=True)),
                (
                    "scope",
                    models.CharField(
                        choices=[("read", "Read only")], default="read", max_length=10
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-pk"]},
        ),
    ]
